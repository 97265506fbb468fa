"""The escrow account (共管账户): ledger, fee bills, payments, payouts, disclosures."""
