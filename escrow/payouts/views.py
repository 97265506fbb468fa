"""Payout pages (/c/<slug>/payouts/…). Thin: access through ``access_compound``, reads
through ``escrow.payouts.selectors``, every change through ``escrow.payouts.services``.

Signing sits behind step-up: without a TOTP/WebAuthn check in this session within the
last five minutes the signer goes through allauth's second-factor form and comes back.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.stepup import has_strong_mfa, second_factor_from_session
from common.choices import choice_label
from common.errors import ApplicationError
from common.files import file_response, private
from common.forms import add_service_error
from common.money import format_yuan
from communities.models import Role
from communities.permissions import Capability, access_compound
from communities.selectors import active_company
from escrow.models import PayoutCategory, PayoutRequest, PayoutStatus
from escrow.payouts import selectors, services
from escrow.payouts.forms import (
    SERVICE_FIELD_TO_FORM,
    AttachmentForm,
    PayForm,
    PayoutFieldsForm,
    PayoutNewForm,
    SignForm,
    WithdrawForm,
)
from escrow.payouts.pdf import payout_order_response

PAGE_SIZE = 20
SIGN_DRAFT_KEY = "payout-sign-draft:%s"
PAY_DRAFT_KEY = "payout-pay-draft:%s"


class CappedPaginator(Paginator):
    """Counts at most ``CAP`` + 1 rows: an inbox of 10,000 waiting requests says
    "1,000+" instead of scanning all of them on every page view."""

    CAP = 1000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.CAP


def _detail_url(payout: PayoutRequest) -> str:
    return reverse("escrow:payout-detail", kwargs={"slug": payout.compound.slug, "pk": payout.pk})


def _load(request, slug, pk):
    compound, standing = access_compound(request.user, slug, Capability.VIEW_FULL_LEDGER)
    payout = selectors.payout_get(compound=compound, standing=standing, user=request.user, pk=pk)
    return compound, standing, payout


def _page(request, queryset):
    return CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _base_context(compound, standing, **extra):
    return {
        "compound": compound,
        "standing": standing,
        "can_apply": standing.can(Capability.APPLY_PAYOUT),
        "can_sign": standing.can(Capability.REVIEW_PAYOUT) or standing.can(Capability.RECHECK_PAYOUT),
        **extra,
    }


# --------------------------------------------------------------------------- lists


@login_required
@require_GET
def payout_inbox(request, slug):
    """What waits for my signature."""
    compound, standing = access_compound(request.user, slug, Capability.VIEW_FULL_LEDGER)
    page = _page(
        request, selectors.payouts_waiting_for(compound=compound, standing=standing, user=request.user)
    )
    return render(
        request,
        "escrow/payouts/list.html",
        _base_context(compound, standing, page=page, tab="inbox", title=_("Waiting for my signature")),
    )


@login_required
@require_GET
def payout_mine(request, slug):
    compound, standing = access_compound(request.user, slug, Capability.VIEW_FULL_LEDGER)
    qs = selectors.payout_list(compound=compound, standing=standing, user=request.user, mine=True)
    return render(
        request,
        "escrow/payouts/list.html",
        _base_context(compound, standing, page=_page(request, qs), tab="mine", title=_("My requests")),
    )


@login_required
@require_GET
def payout_list(request, slug):
    """Every request of the compound and where it stands: the approval trail."""
    compound, standing = access_compound(request.user, slug, Capability.VIEW_FULL_LEDGER)
    status = request.GET.get("status", "")
    category = request.GET.get("category", "")
    status = status if status in PayoutStatus.values else ""
    category = category if category in PayoutCategory.values else ""
    qs = selectors.payout_list(
        compound=compound, standing=standing, user=request.user, status=status, category=category
    )
    return render(
        request,
        "escrow/payouts/list.html",
        _base_context(
            compound,
            standing,
            page=_page(request, qs),
            tab="all",
            title=_("All payout requests"),
            statuses=PayoutStatus.choices,
            categories=PayoutCategory.choices,
            status=status,
            category=category,
        ),
    )


# --------------------------------------------------------------------------- filing


@login_required
@require_http_methods(["GET", "POST"])
def payout_new(request, slug):
    """Staff file a request with its evidence; "submit" also places the hold. All or
    nothing: a refusal leaves no draft behind and the form shows why."""
    compound, standing = access_compound(request.user, slug, Capability.APPLY_PAYOUT)
    company = active_company(compound)
    form = PayoutNewForm(
        request.POST or None,
        request.FILES or None,
        company=company,
        resolutions=PayoutRequest.citable_resolutions(compound),
    )
    if request.method == "POST" and form.is_valid():
        try:
            payout = services.payout_file(
                compound=compound,
                actor=request.user,
                attachments=form.attachments(),
                submit="submit" in request.POST,
                **form.payout_fields(),
            )
        except ApplicationError as exc:
            add_service_error(form, exc, field_map=SERVICE_FIELD_TO_FORM)
        else:
            if payout.status == PayoutStatus.SUBMITTED:
                messages.success(
                    request, _("Request #%(n)s submitted for committee review.") % {"n": payout.pk}
                )
            else:
                messages.success(request, _("Draft #%(n)s saved.") % {"n": payout.pk})
            return redirect(_detail_url(payout))
    return render(
        request,
        "escrow/payouts/new.html",
        _base_context(
            compound,
            standing,
            form=form,
            tab="new",
            availability=services.payout_availability(compound),
            policy=services.payout_policy(compound),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def payout_edit(request, slug, pk):
    compound, standing, payout = _load(request, slug, pk)
    refusal = services.payout_edit_refusal(payout, request.user)
    if refusal is not None:
        messages.error(request, refusal.message)
        return redirect(_detail_url(payout))
    company = active_company(compound)
    initial = {
        "category": payout.category,
        "expense_account": payout.expense_account,
        "payee_name": payout.payee_name,
        "payee_company": payout.payee_company_id,
        "amount": format_yuan(payout.amount_fen, symbol=False).replace(",", ""),
        "purpose": payout.purpose,
        "resolution_number": payout.resolution_number,
        "resolution_date": payout.resolution_date,
        "resolution": payout.resolution_id,
    }
    form = PayoutFieldsForm(
        request.POST or None,
        initial=initial,
        company=company,
        resolutions=PayoutRequest.citable_resolutions(compound),
    )
    form.fields["payee_account"].required = False
    form.fields["payee_account"].help_text = _("Now %(masked)s. Leave empty to keep it.") % {
        "masked": payout.payee_account_masked
    }
    if request.method == "POST" and form.is_valid():
        try:
            services.payout_update(
                payout=payout,
                actor=request.user,
                # A blank account keeps the stored (masked) one.
                **{**form.payout_fields(), "payee_account": form.cleaned_data["payee_account"] or None},
            )
        except ApplicationError as exc:
            add_service_error(form, exc, field_map=SERVICE_FIELD_TO_FORM)
        else:
            messages.success(request, _("Draft saved."))
            return redirect(_detail_url(payout))
    return render(
        request, "escrow/payouts/edit.html", _base_context(compound, standing, form=form, payout=payout)
    )


@login_required
@require_POST
def payout_attach(request, slug, pk):
    _compound, _standing, payout = _load(request, slug, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file and its kind."))
        return redirect(_detail_url(payout))
    try:
        services.payout_attachment_add(
            payout=payout,
            actor=request.user,
            upload=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("File attached."))
    return redirect(_detail_url(payout))


@login_required
@require_POST
def payout_submit(request, slug, pk):
    _compound, _standing, payout = _load(request, slug, pk)
    try:
        services.payout_submit(payout=payout, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Submitted for committee review."))
    return redirect(_detail_url(payout))


@login_required
@require_http_methods(["GET", "POST"])
def payout_withdraw(request, slug, pk):
    compound, standing, payout = _load(request, slug, pk)
    refusal = services.payout_withdraw_refusal(payout, request.user)
    if refusal is not None:  # the page offers only what the service would accept
        messages.error(request, refusal.message)
        return redirect(_detail_url(payout))
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.payout_withdraw(payout=payout, actor=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Request withdrawn; its hold is released."))
        return redirect(_detail_url(payout))
    return render(
        request, "escrow/payouts/withdraw.html", _base_context(compound, standing, form=form, payout=payout)
    )


# --------------------------------------------------------------------------- the request


def _signature_rows(payout: PayoutRequest) -> list[dict]:
    rows = []
    for signature in payout.signatures.all():
        rows.append({"signature": signature, "role_label": choice_label(Role, signature.role)})
    return rows


@login_required
@require_GET
def payout_detail(request, slug, pk):
    """The request, its evidence and its full history; the actions this person may take."""
    compound, standing, payout = _load(request, slug, pk)
    me = request.user
    may_edit = services.can_edit(payout, me)
    context = _base_context(
        compound,
        standing,
        payout=payout,
        amount=format_yuan(payout.amount_fen),
        signatures=_signature_rows(payout),
        progress=services.payout_progress(payout),
        waiting_for=services.next_signers(payout) if payout.status in services.SIGNABLE_STATUSES else [],
        may_edit=may_edit,
        may_withdraw=services.can_withdraw(payout, me),
        may_sign=services.can_sign(payout, me),
        may_pay=services.can_pay(payout, me),
        attach_form=AttachmentForm() if may_edit else None,
    )
    return render(request, "escrow/payouts/detail.html", context)


def _step_up_redirect(request, next_url: str):
    """Send the signer through the second-factor form and back here (after setting up an
    authenticator app, too: ``next`` brings them back to this page)."""
    if not has_strong_mfa(request.user):
        messages.warning(
            request,
            _(
                "Signing a payout needs an authenticator app (TOTP). Set it up here; "
                "you will come back to the request."
            ),
        )
        return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': next_url})}")
    messages.info(request, _("Enter the code from your authenticator app to sign."))
    return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': next_url})}")


def _fresh_second_factor(request):
    """The session's second factor if the service would accept it now, else None."""
    try:
        return services.check_second_factor(second_factor_from_session(request))
    except services.StepUpRequiredError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def payout_sign(request, slug, pk):
    """Approve or reject, behind step-up."""
    compound, standing, payout = _load(request, slug, pk)
    refusal = services.payout_signing_refusal(payout, request.user)
    if refusal is not None:
        messages.error(request, refusal.message)
        return redirect(_detail_url(payout))
    here = request.path
    proof = _fresh_second_factor(request)
    draft_key = SIGN_DRAFT_KEY % payout.pk
    if proof is None:
        if request.method == "POST":
            # Keep what was typed across the detour through the second-factor form.
            request.session[draft_key] = {
                "decision": request.POST.get("decision", ""),
                "comment": request.POST.get("comment", "")[:2000],
            }
        return _step_up_redirect(request, here)
    if request.method == "POST":
        form = SignForm(request.POST)
        if form.is_valid():
            decision = form.cleaned_data["decision"]
            comment = form.cleaned_data["comment"]
            try:
                if decision == "approve":
                    services.payout_approve(
                        payout=payout, actor=request.user, second_factor=proof, comment=comment
                    )
                else:
                    services.payout_reject(
                        payout=payout, actor=request.user, second_factor=proof, reason=comment
                    )
            except services.StepUpRequiredError:
                return _step_up_redirect(request, here)
            except ApplicationError as exc:
                add_service_error(form, exc, field_map=SERVICE_FIELD_TO_FORM)
            else:
                request.session.pop(draft_key, None)
                if decision == "approve":
                    messages.success(request, _("You approved request #%(n)s.") % {"n": payout.pk})
                else:
                    messages.success(request, _("You rejected request #%(n)s.") % {"n": payout.pk})
                return redirect(_detail_url(payout))
    else:
        form = SignForm(initial=request.session.pop(draft_key, None) or {})
    return render(
        request,
        "escrow/payouts/sign.html",
        _base_context(
            compound,
            standing,
            form=form,
            payout=payout,
            amount=format_yuan(payout.amount_fen),
            proof=proof,
            step=services.SIGNABLE_STATUSES[payout.status],
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def payout_pay(request, slug, pk):
    """Record the bank transfer of a rechecked request (chair or community official)."""
    compound, standing, payout = _load(request, slug, pk)
    refusal = services.payout_payment_refusal(payout, request.user)
    if refusal is not None:
        if payout.status == PayoutStatus.PAID:
            messages.info(request, _("This request has already been paid."))
        else:
            messages.error(request, refusal.message)
        return redirect(_detail_url(payout))
    here = request.path
    draft_key = PAY_DRAFT_KEY % payout.pk
    proof = _fresh_second_factor(request)
    if proof is None:
        # Recording a payment is behind step-up, like a signature.
        if request.method == "POST":
            request.session[draft_key] = {
                "bank_reference": request.POST.get("bank_reference", "")[:80],
                "payment_date": request.POST.get("payment_date", "")[:10],
            }
        return _step_up_redirect(request, here)
    if request.method == "POST":
        form = PayForm(request.POST)
    else:
        form = PayForm(initial=request.session.pop(draft_key, None) or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.payout_pay(
                payout=payout,
                actor=request.user,
                bank_reference=form.cleaned_data["bank_reference"],
                payment_date=form.cleaned_data["payment_date"],
                second_factor=proof,
            )
        except services.StepUpRequiredError:
            return _step_up_redirect(request, here)
        except ApplicationError as exc:
            add_service_error(form, exc, field_map=SERVICE_FIELD_TO_FORM)
        else:
            request.session.pop(draft_key, None)
            messages.success(request, _("Payment recorded and posted to the ledger."))
            return redirect(_detail_url(payout))
    return render(
        request,
        "escrow/payouts/pay.html",
        _base_context(compound, standing, form=form, payout=payout, amount=format_yuan(payout.amount_fen)),
    )


# --------------------------------------------------------------------------- files


@login_required
@require_GET
def payout_attachment(request, slug, pk, attachment_pk):
    """Evidence is served only through here, to people who may see the request —
    never from a public media URL."""
    _compound, _standing, payout = _load(request, slug, pk)
    attachment = selectors.payout_attachment_get(payout=payout, pk=attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = file_response(handle, filename=attachment.original_name, content_type=attachment.content_type)
    return private(response, sandbox=True)


@login_required
@require_GET
def payout_order(request, slug, pk):
    """The joint payment order (联签支付单) of a paid request."""
    _compound, _standing, payout = _load(request, slug, pk)
    if payout.status != PayoutStatus.PAID:
        raise Http404
    return payout_order_response(payout)
