"""Shapes of the escrow ledger API. Money leaves as integer fen *and* as an exact yuan
string ("1234.50"), converted in one place (``common.money``); never as a float."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from common.api import YuanField
from common.choices import choice_label
from common.money import fen_to_yuan
from escrow.ledger.selectors import (
    EXPENSE,
    INCOME,
    MAX_PAGE_SIZE,
    MAX_SEQUENCE,
    EntryFilters,
    chain_head,
    ledger_account_by_reference,
)
from escrow.models import Category, EntryKind, LedgerAccount

SEARCH_MAX_LENGTH = 100
# The categories a ledger row can be filed under: every one but the cash itself.
LEDGER_CATEGORIES = tuple(value for value in Category.values if value != Category.ESCROW_CASH)


def yuan(fen: int) -> str:
    return str(fen_to_yuan(fen))


# --------------------------------------------------------------------------- chain head


class ChainHeadSerializer(serializers.Serializer):
    compound = serializers.SlugField(source="compound.slug", help_text=gettext_lazy("The compound's slug."))
    compound_name = serializers.CharField(source="compound.name")
    entry_count = serializers.IntegerField(help_text=gettext_lazy("Number of journal entries posted so far."))
    head_hash = serializers.CharField(
        help_text=gettext_lazy(
            "SHA-256 of the last entry (64 zeros before the first one); see escrow/hashing.py."
        )
    )
    escrow_opened_on = serializers.DateField(
        source="opened_on",
        allow_null=True,
        help_text=gettext_lazy("Null until the escrow account is opened."),
    )


# --------------------------------------------------------------------------- balances


class AccountBalanceSerializer(serializers.Serializer):
    code = serializers.CharField()
    category = serializers.CharField()
    category_label = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    balance_fen = serializers.IntegerField(
        source="balance", help_text=gettext_lazy("On the account's normal side, in fen.")
    )
    balance_yuan = serializers.SerializerMethodField()
    version = serializers.IntegerField(help_text=gettext_lazy("Number of lines posted to the account."))

    def get_balance_yuan(self, obj) -> str:
        return yuan(obj.balance)


class LedgerBalancesSerializer(serializers.Serializer):
    compound = serializers.SlugField(source="compound.slug")
    cash_fen = serializers.IntegerField(source="cash")
    cash_yuan = serializers.SerializerMethodField()
    accounts = AccountBalanceSerializer(many=True)

    def get_cash_yuan(self, obj) -> str:
        return yuan(obj.cash)


# --------------------------------------------------------------------------- entries


class JournalLineSerializer(serializers.Serializer):
    account_code = serializers.CharField(source="account.code")
    category = serializers.CharField(source="account.category")
    category_label = serializers.SerializerMethodField()
    side = serializers.ChoiceField(choices=[("D", "debit"), ("C", "credit")])
    amount_fen = serializers.IntegerField(source="amount")
    amount_yuan = serializers.SerializerMethodField()

    def get_amount_yuan(self, obj) -> str:
        return yuan(obj.amount)

    def get_category_label(self, obj) -> str:
        return choice_label(Category, obj.account.category)


class JournalEntrySerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    kind_label = serializers.SerializerMethodField()
    memo = serializers.CharField()
    effective_date = serializers.DateField()
    posted_at = serializers.DateTimeField(source="created_at")
    reverses = serializers.IntegerField(
        source="reverses_sequence",
        allow_null=True,
        help_text=gettext_lazy("Sequence of the entry this reverses."),
    )
    reversed_by = serializers.IntegerField(
        source="reversed_by_sequence",
        allow_null=True,
        help_text=gettext_lazy("Sequence of the entry that reversed this one."),
    )
    total_fen = serializers.IntegerField(source="total", help_text=gettext_lazy("Sum of the debits."))
    total_yuan = serializers.SerializerMethodField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()
    lines = JournalLineSerializer(many=True, source="line_list")

    def get_total_yuan(self, obj) -> str:
        return yuan(obj.total)

    def get_kind_label(self, obj) -> str:
        return choice_label(EntryKind, obj.kind)


class JournalEntryPageSerializer(serializers.Serializer):
    next = serializers.URLField(
        allow_null=True, help_text=gettext_lazy("The next (older) page, or null at the oldest entry.")
    )
    previous = serializers.URLField(
        allow_null=True, help_text=gettext_lazy("The previous (newer) page, or null at the newest entry.")
    )
    results = JournalEntrySerializer(many=True)


class LedgerEntryQuerySerializer(serializers.Serializer):
    """The entries list's query string. Bad values are refused (400) naming the
    parameter, rather than silently ignored: a filter that quietly does nothing
    would show a resident a ledger that looks complete when it is not."""

    date_from = serializers.DateField(
        required=False, help_text=gettext_lazy("Effective date on or after (YYYY-MM-DD).")
    )
    date_to = serializers.DateField(
        required=False, help_text=gettext_lazy("Effective date on or before (YYYY-MM-DD).")
    )
    kind = serializers.ChoiceField(choices=EntryKind.choices, required=False)
    account = serializers.CharField(
        required=False,
        max_length=30,
        help_text=gettext_lazy(
            "Entries with a line on this account: its category (escrow_cash) or code (1001)."
        ),
    )
    before = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_SEQUENCE,
        help_text=gettext_lazy("Keyset cursor: entries with a smaller sequence number (older)."),
    )
    after = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_SEQUENCE,
        help_text=gettext_lazy("Keyset cursor: entries with a larger sequence number (newer)."),
    )
    category = serializers.CharField(
        required=False,
        max_length=30,
        help_text=gettext_lazy(
            "Entries booked to this ledger category, e.g. fee_income or repairs (not escrow_cash)."
        ),
    )
    direction = serializers.ChoiceField(
        choices=[
            (INCOME, gettext_lazy("Money in (a debit on escrow cash)")),
            (EXPENSE, gettext_lazy("Money out (a credit on escrow cash)")),
        ],
        required=False,
        help_text=gettext_lazy("income: money into the escrow account; expense: money out of it."),
    )
    q = serializers.CharField(
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        allow_blank=True,
        trim_whitespace=True,
        help_text=gettext_lazy(
            "Text to look for in the memo (case-insensitive); an amount such as 1234.56 also finds "
            "the entries of exactly that amount."
        ),
    )
    amount_min = YuanField(
        required=False,
        help_text=gettext_lazy("Entries with an amount of at least this many yuan, e.g. 1000 or 1234.56."),
    )
    amount_max = YuanField(
        required=False,
        help_text=gettext_lazy("Entries with an amount of at most this many yuan."),
    )
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)

    def _opened_on(self):
        if "opened_on" not in self.__dict__:
            head = chain_head(self.context["compound"])
            self.__dict__["opened_on"] = head.opened_on
        return self.__dict__["opened_on"]

    def _check_period_day(self, value):
        """A period lies between the day the escrow account opened and today."""
        if value > timezone.localdate():
            raise serializers.ValidationError(
                _("%(day)s is in the future; the ledger runs up to today (%(today)s).")
                % {"day": value.isoformat(), "today": timezone.localdate().isoformat()}
            )
        opened_on = self._opened_on()
        if opened_on is not None and value < opened_on:
            raise serializers.ValidationError(
                _("%(day)s is before the escrow account opened (%(opened)s).")
                % {"day": value.isoformat(), "opened": opened_on.isoformat()}
            )
        return value

    def validate_date_from(self, value):
        return self._check_period_day(value)

    def validate_date_to(self, value):
        return self._check_period_day(value)

    def validate_category(self, value):
        value = value.strip()
        if value not in LEDGER_CATEGORIES:
            # Category names, never the codes, in what a person reads (the schema lists the codes).
            raise serializers.ValidationError(
                _("“%(value)s” is not a category of the ledger; choose one of: %(known)s.")
                % {"value": value, "known": _(", ").join(str(Category(c).label) for c in LEDGER_CATEGORIES)}
            )
        account = LedgerAccount.objects.filter(compound=self.context["compound"], category=value).first()
        if account is None:
            raise serializers.ValidationError(
                _("This compound has no account for the category “%(value)s”.")
                % {"value": str(Category(value).label)}
            )
        return account

    def validate_account(self, value):
        account = ledger_account_by_reference(self.context["compound"], value)
        if account is None:
            raise serializers.ValidationError(
                _("“%(value)s” is not an account of this compound; choose one from the list.")
                % {"value": value}
            )
        return account

    def validate(self, attrs):
        if "before" in attrs and "after" in attrs:
            raise serializers.ValidationError({"after": [_("Give before or after, not both.")]})
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": [_("Must not be before date_from.")]})
        low, high = attrs.get("amount_min"), attrs.get("amount_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"amount_max": [_("Must not be below the lowest amount.")]})
        return attrs

    def filters(self) -> EntryFilters:
        data = self.validated_data
        return EntryFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            kind=data.get("kind"),
            account=data.get("account"),
            category=data.get("category"),
            direction=data.get("direction"),
            q=data.get("q") or None,
            amount_min=data.get("amount_min"),
            amount_max=data.get("amount_max"),
        )
