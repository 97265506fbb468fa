"""Necessary-cost budget pages (/c/<slug>/payouts/budgets/…): the list, filing the year's
budget (property staff), and one budget with its signatures, signed behind step-up like
a payout. Thin: ``escrow.payouts.services`` and ``selectors``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from common.choices import choice_label
from common.errors import ApplicationError
from common.forms import add_service_error
from common.money import AmountError, format_yuan, yuan_to_fen
from communities.models import Role
from communities.permissions import Capability, access_compound
from escrow.models import CATEGORY_EXPENSE_ACCOUNTS, PAYEE_NAME_MAX_CHARS, Category, PayoutCategory
from escrow.payouts import selectors, services
from escrow.payouts.forms import SignForm
from escrow.payouts.views import _fresh_second_factor, _step_up_redirect

LINES = 6


class BudgetYearForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)


class BudgetLineForm(forms.Form):
    expense_account = forms.ChoiceField(
        label=gettext_lazy("Category"),
        required=False,
        choices=[("", "—")]
        + [(c, Category(c).label) for c in CATEGORY_EXPENSE_ACCOUNTS[PayoutCategory.NECESSARY_COST]],
    )
    payee_name = forms.CharField(label=gettext_lazy("Payee"), required=False, max_length=PAYEE_NAME_MAX_CHARS)
    payee_account = forms.CharField(label=gettext_lazy("Payee bank account"), required=False, max_length=40)
    monthly_amount = forms.CharField(
        label=gettext_lazy("Each month (yuan)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def clean(self):
        data = super().clean()
        filled = [data.get(k) for k in ("expense_account", "payee_name", "payee_account", "monthly_amount")]
        if any(filled) and not all(filled):
            raise forms.ValidationError(_("Fill in every field of the line, or none."))
        if data.get("monthly_amount"):
            try:
                data["monthly_amount_fen"] = yuan_to_fen(data["monthly_amount"], field="monthly_amount")
            except AmountError as exc:
                self.add_error("monthly_amount", exc.extra["fields"]["monthly_amount"][0])
        return data


BudgetLineFormSet = forms.formset_factory(BudgetLineForm, extra=LINES, max_num=LINES)


def _budget_url(compound, budget) -> str:
    return reverse("escrow:budget-detail", kwargs={"slug": compound.slug, "pk": budget.pk})


def _rows(budget) -> list[dict]:
    return [
        {
            "category": choice_label(Category, line.expense_account),
            "payee": line.payee_name,
            "account": line.payee_account_masked,
            "amount": format_yuan(line.monthly_amount_fen),
        }
        for line in budget.lines.all()
    ]


@login_required
def budget_list(request, slug):
    """Every budget of the compound; property staff file the next one from here."""
    compound, standing = access_compound(request.user, slug, Capability.VIEW_FULL_LEDGER)
    budgets = [
        {
            "budget": b,
            "monthly": format_yuan(sum(line.monthly_amount_fen for line in b.lines.all())),
            "url": _budget_url(compound, b),
        }
        for b in selectors.budgets_of(compound)
    ]
    return render(
        request,
        "escrow/budgets/list.html",
        {"compound": compound, "budgets": budgets, "may_file": standing.can(Capability.APPLY_PAYOUT)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def budget_new(request, slug):
    compound, _standing = access_compound(request.user, slug, Capability.APPLY_PAYOUT)
    year_form = BudgetYearForm(request.POST or None, initial={"year": timezone.localdate().year + 1})
    lines = BudgetLineFormSet(request.POST or None, prefix="line")
    if request.method == "POST" and year_form.is_valid() and lines.is_valid():
        filled = [f.cleaned_data for f in lines if f.cleaned_data.get("expense_account")]
        try:
            budget = services.budget_create(
                compound=compound,
                year=year_form.cleaned_data["year"],
                actor=request.user,
                lines=[
                    {
                        "expense_account": d["expense_account"],
                        "payee_name": d["payee_name"],
                        "payee_account": d["payee_account"],
                        "monthly_amount_fen": d["monthly_amount_fen"],
                    }
                    for d in filled
                ],
            )
            services.budget_submit(budget=budget, actor=request.user)
        except ApplicationError as exc:
            add_service_error(year_form, exc)
        else:
            messages.success(request, _("Budget %(y)s submitted for signatures.") % {"y": budget.year})
            return redirect(_budget_url(compound, budget))
    return render(
        request,
        "escrow/budgets/new.html",
        {"compound": compound, "year_form": year_form, "lines": lines},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def budget_detail(request, slug, pk):
    """One budget, its lines and signatures; signers approve or reject behind step-up."""
    compound, standing = access_compound(request.user, slug, Capability.VIEW_FULL_LEDGER)
    budget = selectors.budget_get(compound=compound, pk=pk)  # Http404: missing or another compound's
    form = SignForm(request.POST or None)
    if request.method == "POST":
        proof = _fresh_second_factor(request)
        if proof is None:
            return _step_up_redirect(request, request.path)
        if form.is_valid():
            try:
                if form.cleaned_data["decision"] == "approve":
                    services.budget_approve(
                        budget=budget,
                        actor=request.user,
                        second_factor=proof,
                        comment=form.cleaned_data["comment"],
                    )
                else:
                    services.budget_reject(
                        budget=budget,
                        actor=request.user,
                        second_factor=proof,
                        reason=form.cleaned_data["comment"],
                    )
            except services.StepUpRequiredError:
                return _step_up_redirect(request, request.path)
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request, _("Your signature on budget %(y)s is recorded.") % {"y": budget.year}
                )
                return redirect(_budget_url(compound, budget))
    signatures = [
        {
            "name": s.signer.display_name or str(s.signer),
            "role": choice_label(Role, s.role),
            "step": s.get_step_display(),
            "decision": s.get_decision_display(),
            "at": s.signed_at,
        }
        for s in budget.signatures.all()
    ]
    waiting = budget.status in ("submitted", "reviewed")
    return render(
        request,
        "escrow/budgets/detail.html",
        {
            "compound": compound,
            "budget": budget,
            "rows": _rows(budget),
            "monthly": format_yuan(sum(line.monthly_amount_fen for line in budget.lines.all())),
            "signatures": signatures,
            "form": form
            if waiting and (standing.can(Capability.REVIEW_PAYOUT) or standing.can(Capability.RECHECK_PAYOUT))
            else None,
        },
        status=400 if request.method == "POST" else 200,
    )
