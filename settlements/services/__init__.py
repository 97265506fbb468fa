"""Settlement services: ``policy`` (the street office's versioned policy), ``build`` (the
resumable run), ``confirm`` (confirmations, the release payout and the owners' fund entry)
and ``renewal`` (contract renewal against the settlement's recommendation)."""

from settlements.services.build import (
    settlement_build,
    settlement_correct,
    settlement_request,
    settlements_run_january,
    settlements_sweep,
)
from settlements.services.confirm import settlement_confirm, settlement_release
from settlements.services.policy import policy_in_force, policy_save
from settlements.services.renewal import contract_renew, contracts_warn_ending

__all__ = [
    "contract_renew",
    "contracts_warn_ending",
    "policy_in_force",
    "policy_save",
    "settlement_build",
    "settlement_confirm",
    "settlement_correct",
    "settlement_release",
    "settlement_request",
    "settlements_run_january",
    "settlements_sweep",
]
