"""Typed refusals of the escrow ledger."""

from common.errors import ApplicationError, ConflictError


class LedgerError(ApplicationError):
    """A posting that must not happen (unbalanced, unknown account, bad date…)."""


class InsufficientFundsError(LedgerError):
    """The posting would make the escrow cash balance negative."""

    status_code = 409


class IdempotencyConflictError(ConflictError):
    """The idempotency key was already used for different content."""


class PeriodClosedError(LedgerError):
    """The entry is dated in a quarter whose books are closed (already disclosed)."""

    status_code = 409

    def for_field(self, field: str) -> "PeriodClosedError":
        """The same refusal naming the caller's own input (``received_on``, ``payment_date``…)."""
        return PeriodClosedError(
            f"{field}: {self.message}", extra={**self.extra, "fields": {field: [self.message]}}
        )
