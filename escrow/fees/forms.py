"""Forms of the payments-in pages. They parse what people type — yuan text, a unit's
reference, a month — and leave every rule to the services."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import IsoDateInput
from common.money import AmountError, yuan_to_fen
from communities.models import Compound
from escrow.fees.selectors import UnitMatcher
from escrow.fees.services.imports import EXPLAIN_CATEGORIES
from escrow.models import BankStatementMapping, Category, PaymentMethod


class UnitReferenceField(forms.CharField):
    """A unit typed as its reference (SHANGCHENG-3栋-2-1502) or just 3栋-2-1502."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 120)
        kwargs.setdefault("help_text", _("e.g. 3栋-2-1502 (building, entrance, number)"))
        super().__init__(*args, **kwargs)


class _UnitFormMixin:
    compound: Compound

    def clean_unit(self):
        text = self.cleaned_data["unit"]
        unit = UnitMatcher.for_compound(self.compound).match(text)
        if unit is None:
            raise forms.ValidationError(_("No such unit in this compound."))
        return unit


class ManualPaymentForm(_UnitFormMixin, forms.Form):
    receipt_no = forms.CharField(label=_("Receipt number"), max_length=40)
    unit = UnitReferenceField(label=_("Unit"))
    amount = forms.CharField(
        label=_("Amount (yuan)"),
        max_length=30,
        help_text=_("e.g. 1,234.50 — at most two decimals"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    received_on = forms.DateField(label=_("Received on"), widget=IsoDateInput())

    def __init__(self, *args, compound: Compound, **kwargs):
        super().__init__(*args, **kwargs)
        self.compound = compound
        self.fields["received_on"].initial = timezone.localdate()
        self.fields["unit"].widget.attrs["list"] = "unit-references"

    def clean_amount(self):
        try:
            return yuan_to_fen(self.cleaned_data["amount"], field="amount")
        except AmountError as exc:
            raise forms.ValidationError(exc.extra["fields"]["amount"][0]) from None


class SuspenseAssignForm(_UnitFormMixin, forms.Form):
    unit = UnitReferenceField(label=_("Unit"))

    def __init__(self, *args, compound: Compound, **kwargs):
        super().__init__(*args, **kwargs)
        self.compound = compound
        self.fields["unit"].widget.attrs["list"] = "unit-references"


class StatementUploadForm(forms.Form):
    mapping = forms.ModelChoiceField(
        label=_("Layout"),
        queryset=BankStatementMapping.objects.none(),
        required=False,
        empty_label=_("Recognise the bank from the file"),
    )
    file = forms.FileField(
        label=_("Statement file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xls,.xlsx,text/csv"}),
    )

    def __init__(self, *args, compound: Compound, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mapping"].queryset = BankStatementMapping.objects.filter(compound=compound)


def _words(value: str) -> list[str]:
    return [w.strip() for w in value.replace("，", ",").split(",") if w.strip()]


class StatementMappingForm(forms.Form):
    """A custom layout's fields (``banking.Mapping``); the service checks and saves it."""

    DIRECTIONS = [
        ("two_columns", _("Two columns: money in, money out")),
        ("signed", _("One signed amount (negative = money out)")),
        ("column", _("An amount and a column saying income or expense")),
    ]
    bank_name = forms.CharField(label=_("Name of this layout"), max_length=50)
    date_column = forms.CharField(label=_("Date column"), max_length=50)
    direction = forms.ChoiceField(label=_("How money in and out are told apart"), choices=DIRECTIONS)
    income_column = forms.CharField(label=_("Money-in column"), max_length=50, required=False)
    expense_column = forms.CharField(label=_("Money-out column"), max_length=50, required=False)
    amount_column = forms.CharField(label=_("Amount column"), max_length=50, required=False)
    direction_column = forms.CharField(label=_("Income/expense column"), max_length=50, required=False)
    income_values = forms.CharField(
        label=_("Words for income"), max_length=100, required=False, initial="收入"
    )
    expense_values = forms.CharField(
        label=_("Words for expense"), max_length=100, required=False, initial="支出"
    )
    neutral_values = forms.CharField(
        label=_("Words for neither (e.g. 不计收支)"), max_length=100, required=False
    )
    balance_column = forms.CharField(label=_("Balance column"), max_length=50, required=False)
    serial_column = forms.CharField(label=_("Bank serial column"), max_length=50, required=False)
    counterparty_column = forms.CharField(label=_("Counterparty column"), max_length=50, required=False)
    memo_column = forms.CharField(label=_("Memo column"), max_length=50, required=False)
    footer_required = forms.BooleanField(label=_("The bank always ends the file with totals"), required=False)

    @classmethod
    def initial_for(cls, mapping: BankStatementMapping | None) -> dict:
        if mapping is None:
            return {}
        layout = mapping.layout
        values = {name: layout.get(name, "") for name in cls.base_fields if name in layout}
        for name in ("income_values", "expense_values", "neutral_values"):
            values[name] = ", ".join(layout.get(name) or [])
        values["memo_column"] = (layout.get("memo_columns") or [""])[0]
        values["bank_name"] = mapping.bank_name
        return values

    def layout(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("bank_name")
        memo = data.pop("memo_column")
        data["memo_columns"] = [memo] if memo else []
        for name in ("income_values", "expense_values", "neutral_values"):
            data[name] = _words(data[name])
        return data


class OutflowExplainForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What it was"),
        required=False,
        choices=[
            ("", _("— the bank side of a recorded payout —")),
            *[(c.value, c.label) for c in map(Category, EXPLAIN_CATEGORIES)],
        ],
    )
    payout = forms.IntegerField(label=_("Payout number (if it paid one)"), required=False, min_value=1)
    explanation = forms.CharField(label=_("Explanation"), max_length=200)


class MonthRangeForm(forms.Form):
    start = forms.CharField(label=_("From"), required=False, widget=forms.TextInput(attrs={"type": "month"}))
    end = forms.CharField(label=_("To"), required=False, widget=forms.TextInput(attrs={"type": "month"}))
