"""Forms of the payout pages. They parse input (yuan → fen, dates, files); every rule of
the scheme is the services' — their refusals come back onto these forms' fields."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import IsoDateInput
from common.money import AmountError, yuan_to_fen
from escrow.models import (
    CATEGORY_EXPENSE_ACCOUNTS,
    PAYEE_NAME_MAX_CHARS,
    PURPOSE_MAX_CHARS,
    AttachmentKind,
    Category,
    PayoutCategory,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


# Form fields that hold each kind of evidence, and where each service field's errors go.
FILE_FIELDS = {
    AttachmentKind.INVOICE: "invoices",
    AttachmentKind.QUOTE: "quotes",
    AttachmentKind.CONTRACT: "contracts",
    AttachmentKind.MINUTES: "minutes",
    AttachmentKind.OTHER: "others",
}
SERVICE_FIELD_TO_FORM = {
    "attachments": "invoices",
    "reason": "comment",
    **{str(kind): name for kind, name in FILE_FIELDS.items()},
}


def _expense_account_choices():
    choices: list = [("", _("Default for the category"))]
    for category, accounts in CATEGORY_EXPENSE_ACCOUNTS.items():
        choices.append(
            (PayoutCategory(category).label, [(account, Category(account).label) for account in accounts])
        )
    return choices


class PayoutFieldsForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=PayoutCategory.choices)
    expense_account = forms.ChoiceField(
        label=_("Expense account"),
        choices=_expense_account_choices,
        required=False,
        help_text=_("Necessary costs: choose the kind of cost."),
    )
    payee_name = forms.CharField(
        label=_("Payee"),
        max_length=PAYEE_NAME_MAX_CHARS,
        help_text=_("Published with the payment (a refund's payee only by the first character)."),
    )
    payee_account = forms.CharField(
        label=_("Payee bank account"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Only the first and last four digits are kept."),
    )
    payee_company = forms.TypedChoiceField(
        label=_("The payee is the property company"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Its people may then not sign this request."),
    )
    amount = forms.CharField(
        label=_("Amount (yuan)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"}),
    )
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=PURPOSE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "This text is public: it is published in the ledger, the payment trail and the "
            "quarterly disclosure for anyone to read. At most %(n)s characters; no personal details."
        )
        % {"n": PURPOSE_MAX_CHARS},
    )
    resolution = forms.TypedChoiceField(
        label=_("Resolution cited"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("An adopted resolution of this compound whose minutes are published; or type one below."),
    )
    resolution_number = forms.CharField(label=_("Meeting resolution number"), max_length=60, required=False)
    resolution_date = forms.DateField(label=_("Resolution date"), required=False, widget=IsoDateInput())

    def __init__(self, *args, company=None, resolutions=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The compound's citable resolutions, passed in by the view (escrow never imports meetings).
        self.resolutions = {r.pk: r for r in resolutions}
        self.fields["resolution"].choices = [("", _("None"))] + [
            (r.pk, f"{r.number} · {r.decided_on:%Y-%m-%d}") for r in self.resolutions.values()
        ]
        # Only the compound's own property company is offered; the API takes any company.
        choices = [("", _("No"))]
        if company is not None:
            choices.append((company.pk, company.name))
        self.fields["payee_company"].choices = choices
        self.company = company

    def payout_fields(self) -> dict:
        """The cleaned fields as the payout services take them (payout_file, payout_update)."""
        data = self.cleaned_data
        return {
            "category": data["category"],
            "expense_account": data["expense_account"],
            "payee_name": data["payee_name"],
            "payee_account": data["payee_account"],
            "payee_company": self.company if data["payee_company"] and self.company else None,
            "amount_fen": data["amount"],
            "purpose": data["purpose"],
            "resolution_number": data["resolution_number"],
            "resolution_date": data["resolution_date"],
            "resolution": self.resolutions.get(data.get("resolution")),
        }

    def clean_amount(self):
        try:
            return yuan_to_fen(self.cleaned_data["amount"], field="amount")
        except AmountError as exc:
            raise forms.ValidationError(exc.extra["fields"]["amount"][0]) from None


class PayoutNewForm(PayoutFieldsForm):
    invoices = MultipleFileField(label=_("Invoices (发票)"), help_text=_("PDF, PNG or JPEG."))
    quotes = MultipleFileField(label=_("Quotes"))
    contracts = MultipleFileField(label=_("Contracts"))
    minutes = MultipleFileField(
        label=_("Meeting minutes with the resolution"),
        help_text=_("Needed from the amount that requires a meeting resolution."),
    )
    others = MultipleFileField(label=_("Other documents"))

    def attachments(self) -> list[tuple[str, object]]:
        return [
            (str(kind), upload) for kind, name in FILE_FIELDS.items() for upload in self.cleaned_data[name]
        ]


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AttachmentKind.choices)
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )


class SignForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you reject: say why."),
    )


class PayForm(forms.Form):
    bank_reference = forms.CharField(label=_("Bank transfer reference"), max_length=80)
    payment_date = forms.DateField(
        label=_("Transfer date"), widget=IsoDateInput(), initial=timezone.localdate
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
