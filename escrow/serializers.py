"""Shapes of the escrow ledger API. Money leaves as integer fen *and* as an exact yuan
string ("1234.50"), converted in one place (``common.money``); never as a float."""

from __future__ import annotations

import functools

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from rest_framework import serializers

from common.money import fen_to_yuan
from escrow.models import Category, EntryKind
from escrow.selectors import MAX_PAGE_SIZE, MAX_SEQUENCE, EntryFilters, ledger_account_by_reference


def yuan(fen: int) -> str:
    return str(fen_to_yuan(fen))


@functools.lru_cache(maxsize=32)
def _labels(choices_class, language: str | None) -> dict[str, str]:
    return {value: str(label) for value, label in choices_class.choices}


def choice_label(choices_class, value: str) -> str:
    """The translated label of a choice. ``get_FOO_display()`` rebuilds the choices
    and translates them on every call — a millisecond per line on a page of 50
    entries; catalogs do not change while the process runs, so cache per language."""
    return _labels(choices_class, get_language()).get(value, value)


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
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)

    def validate_account(self, value):
        account = ledger_account_by_reference(self.context["compound"], value)
        if account is None:
            raise serializers.ValidationError(
                _("“%(value)s” is not an account of this compound (give a category or a code).")
                % {"value": value}
            )
        return account

    def validate(self, attrs):
        if "before" in attrs and "after" in attrs:
            raise serializers.ValidationError({"after": [_("Give before or after, not both.")]})
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": [_("Must not be before date_from.")]})
        return attrs

    def filters(self) -> EntryFilters:
        data = self.validated_data
        return EntryFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            kind=data.get("kind"),
            account=data.get("account"),
        )
