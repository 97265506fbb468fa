"""Writes to the escrow ledger. ledger.py is the only code that posts journal entries."""
