"""The escrow ledger in the admin: read-only.

The journal is append-only (on PostgreSQL the database refuses updates and deletes
anyway), and every posting must go through ``escrow.ledger.services`` so that the
hash chain and the cached balances stay right. So nobody adds, changes or deletes
ledger rows here — not even a superuser; an escrow account is opened with
``escrow_account_open`` and a correction is a reversing entry.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.money import format_yuan
from escrow.models import EscrowAccount, JournalEntry, JournalLine, LedgerAccount


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EscrowAccount)
class EscrowAccountAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["compound", "bank_name", "account_number_masked", "opened_on", "entry_count", "head_hash"]
    list_select_related = ["compound"]
    search_fields = ["compound__name", "compound__slug", "bank_name"]


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["compound", "code", "category", "kind", "balance_yuan", "version"]
    list_select_related = ["compound"]
    list_filter = ["kind", "category"]
    search_fields = ["compound__name", "compound__slug", "code"]

    @admin.display(description=_("balance (debit − credit)"))
    def balance_yuan(self, obj):
        return format_yuan(obj.balance)


class JournalLineInline(ReadOnlyMixin, admin.TabularInline):
    model = JournalLine
    fields = ["account", "side", "amount", "account_version", "balance_after"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["compound", "sequence", "kind", "effective_date", "memo", "created_at"]
    list_select_related = ["compound"]
    list_filter = ["kind"]
    search_fields = ["memo", "idempotency_key", "hash"]
    ordering = ["compound", "-sequence"]
    inlines = [JournalLineInline]
    # The unfiltered total would be a second COUNT over a journal of any length.
    show_full_result_count = False
    raw_id_fields = ["reverses", "created_by"]


@admin.register(JournalLine)
class JournalLineAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["entry", "account", "side", "amount", "account_version", "balance_after"]
    list_select_related = ["entry", "account"]
    show_full_result_count = False
    raw_id_fields = ["entry", "account", "compound"]
