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
from escrow.fees.services.imports import MAPPING_FIELDS
from escrow.models import BankStatementMapping, PaymentMethod


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
    mapping = forms.ModelChoiceField(label=_("Bank"), queryset=BankStatementMapping.objects.none())
    file = forms.FileField(
        label=_("Statement (CSV)"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})
    )

    def __init__(self, *args, compound: Compound, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mapping"].queryset = BankStatementMapping.objects.filter(compound=compound)


class StatementMappingForm(forms.ModelForm):
    """The fields of a mapping; the service saves it (never ``form.save()``)."""

    class Meta:
        model = BankStatementMapping
        fields = list(MAPPING_FIELDS)

    def validate_unique(self):
        pass  # the service checks uniqueness per compound, with its own message


class MonthRangeForm(forms.Form):
    start = forms.CharField(label=_("From"), required=False, widget=forms.TextInput(attrs={"type": "month"}))
    end = forms.CharField(label=_("To"), required=False, widget=forms.TextInput(attrs={"type": "month"}))
