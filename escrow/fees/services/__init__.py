"""Fee services: bill runs, counter payments, statement imports, provider webhooks."""
