"""Compatibility: remove after the feature branches land. The services moved into each
part's package (escrow/ledger/services.py, escrow/fees/services/, escrow/payouts/services/,
escrow/transparency/services/); these modules re-export them under their old paths."""
