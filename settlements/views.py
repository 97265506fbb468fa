"""Settlement pages: the compound's settlements (public: confirmed ones; the parties: all,
with the run form for officials and the confirm button), one settlement with its files,
and the street office's policy editor. Thin: selectors and services do the work."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.stepup import (
    StepUpRequiredError,
    check_second_factor,
    has_strong_mfa,
    second_factor_from_session,
)
from common.errors import ApplicationError
from common.money import format_yuan
from communities.models import Role, StreetOffice
from communities.permissions import Capability, active_memberships, standing_in
from communities.selectors import public_compound
from settlements import render as settlement_render
from settlements import selectors, services
from settlements.models import SettlementFormat, SettlementStatus
from settlements.services.confirm import confirmation_refusal, release_differences
from settlements.services.policy import policy_in_force


class RunForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    payee_account = forms.CharField(
        label=gettext_lazy("Company's bank account"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("Needed only if no earlier payout to the company names it."),
    )


def _compound(slug):
    compound = public_compound(slug)
    if compound is None:
        raise Http404
    return compound


def _list_context(request, compound, standing, run_form=None):
    official = Role.COMMUNITY_OFFICIAL in standing.roles
    items = []
    for s in selectors.settlements_for(compound, standing):
        items.append(
            {
                "settlement": s,
                "rows": settlement_render.rows(s.figures | {"digest": s.digest}) if s.figures else [],
            }
        )
    return {
        "compound": compound,
        "items": items,
        "official": official,
        "run_form": run_form or RunForm(),
        "preview": selectors.preview(compound) if selectors.sees_unconfirmed(standing) else None,
        "contracts": selectors.contract_history(compound) if selectors.sees_unconfirmed(standing) else [],
    }


def settlement_list(request, slug):
    """Anyone: the compound's confirmed settlements. The parties also see those waiting."""
    compound = _compound(slug)
    standing = standing_in(request.user, compound)
    return render(request, "settlements/list.html", _list_context(request, compound, standing))


@login_required
@require_POST
def settlement_run(request, slug):
    compound = _compound(slug)
    standing = standing_in(request.user, compound)
    if Role.COMMUNITY_OFFICIAL not in standing.roles:
        raise Http404
    form = RunForm(request.POST)
    if form.is_valid():
        try:
            settlement = services.settlement_request(
                compound=compound,
                year=form.cleaned_data["year"],
                actor=request.user,
                payee_account=form.cleaned_data["payee_account"],
            )
        except ApplicationError as exc:
            fields = (exc.extra or {}).get("fields") or {}
            for name in fields:
                form.add_error(name if name in form.fields else None, exc.message)
            if not fields:
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("The %(y)s settlement is being computed.") % {"y": settlement.year})
            return redirect("settlements:detail", slug=compound.slug, year=settlement.year)
    context = _list_context(request, compound, standing, run_form=form)
    return render(request, "settlements/list.html", context, status=400)


def settlement_detail(request, slug, year):
    compound = _compound(slug)
    standing = standing_in(request.user, compound)
    settlement = selectors.settlement_get(compound, year, standing)
    if settlement is None:
        raise Http404
    party = None
    if settlement.status == SettlementStatus.READY and request.user.is_authenticated:
        party, _why = confirmation_refusal(settlement, request.user)
    document = settlement_render.document_of(settlement) if settlement.figures else None
    context = {
        "compound": compound,
        "settlement": settlement,
        "rows": settlement_render.rows(document) if document else [],
        "figures": settlement.figures["figures"] if settlement.figures else None,
        "files": list(settlement.files.order_by("format").values("format", "size", "sha256")),
        "confirmations": list(settlement.confirmations.select_related("signer").order_by("created_at")),
        "may_confirm": party is not None,
        "may_correct": settlement.status == SettlementStatus.READY
        and Role.COMMUNITY_OFFICIAL in standing.roles
        and not settlement.confirmations.exists(),
        "payout_differences": release_differences(settlement),
        # The payout's page is for members who read the full ledger; others get the public trail.
        "may_follow_payout": standing.can(Capability.VIEW_FULL_LEDGER),
        "release": format_yuan(settlement.release_fen or 0),
        "kept": format_yuan(settlement.kept_fen or 0),
    }
    return render(request, "settlements/detail.html", context)


@login_required
@require_POST
def settlement_confirm(request, slug, year):
    compound = _compound(slug)
    standing = standing_in(request.user, compound)
    settlement = selectors.settlement_get(compound, year, standing)
    if settlement is None:
        raise Http404
    here = reverse("settlements:detail", kwargs={"slug": slug, "year": year})
    try:
        proof = check_second_factor(second_factor_from_session(request))
    except StepUpRequiredError:
        if not has_strong_mfa(request.user):
            messages.warning(
                request, _("Confirming needs an authenticator app (TOTP). Set it up here, then come back.")
            )
            return redirect(reverse("mfa_activate_totp"))
        messages.info(request, _("Enter the code from your authenticator app to confirm."))
        return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': here})}")
    try:
        services.settlement_confirm(
            settlement=settlement,
            actor=request.user,
            second_factor=proof,
            digest=request.POST.get("digest", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You confirmed the %(y)s settlement.") % {"y": year})
    return redirect(here)


def settlement_file(request, slug, year, fmt):
    compound = _compound(slug)
    settlement = selectors.settlement_get(compound, year, standing_in(request.user, compound))
    if settlement is None or fmt not in SettlementFormat.values:
        raise Http404
    stored = settlement.files.filter(format=fmt).first()
    if stored is None:
        raise Http404
    response = HttpResponse(bytes(stored.content), content_type=stored.content_type)
    name = f"settlement-{compound.slug}-{year}-v{settlement.version}.{fmt}"
    disposition = "inline" if fmt in ("html", "pdf") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["ETag"] = f'"{stored.sha256}"'
    if fmt == "html":
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@login_required
@require_POST
def settlement_correct(request, slug, year):
    """A community official recomputes a settlement nobody has confirmed yet, with a reason."""
    compound = _compound(slug)
    standing = standing_in(request.user, compound)
    settlement = selectors.settlement_get(compound, year, standing)
    if settlement is None or Role.COMMUNITY_OFFICIAL not in standing.roles:
        raise Http404
    try:
        new = services.settlement_correct(
            settlement=settlement, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Version %(v)s is being computed.") % {"v": new.version})
    return redirect("settlements:detail", slug=slug, year=year)


# --------------------------------------------------------------------------- policy

BAND_ROWS = 6


class PolicyForm(forms.Form):
    reserve_months = forms.IntegerField(
        label=gettext_lazy("Reserve carried forward (months)"), min_value=0, max_value=12
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, BAND_ROWS + 1):
            self.fields[f"low_{n}"] = forms.IntegerField(label=gettext_lazy("From score"), required=False)
            self.fields[f"high_{n}"] = forms.IntegerField(label=gettext_lazy("To score"), required=False)
            self.fields[f"rate_{n}"] = forms.IntegerField(
                label=gettext_lazy("Release rate (%)"), required=False
            )
            self.fields[f"renew_{n}"] = forms.BooleanField(
                label=gettext_lazy("Renewal recommended"), required=False
            )

    def bands(self) -> list[dict]:
        out = []
        for n in range(1, BAND_ROWS + 1):
            values = [self.cleaned_data.get(f"{k}_{n}") for k in ("low", "high", "rate")]
            if all(v is None for v in values):
                continue
            out.append(
                {
                    "low": values[0],
                    "high": values[1],
                    "rate": values[2],
                    "renew": self.cleaned_data.get(f"renew_{n}"),
                }
            )
        return out

    def rows(self):
        return [[self[f"{k}_{n}"] for k in ("low", "high", "rate", "renew")] for n in range(1, BAND_ROWS + 1)]


def _office_of(user) -> StreetOffice | None:
    membership = active_memberships(user).filter(role=Role.STREET_ADMIN, street_office__isnull=False).first()
    return membership.street_office if membership else None


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request):
    """The street office's settlement policy; each save is a new version."""
    office = _office_of(request.user)
    if office is None:
        raise Http404
    policy = policy_in_force(office)
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                new = services.policy_save(
                    street_office=office,
                    actor=request.user,
                    bands=form.bands(),
                    reserve_months=form.cleaned_data["reserve_months"],
                )
            except ApplicationError as exc:
                fields = (exc.extra or {}).get("fields") or {}
                form.add_error("reserve_months" if "reserve_months" in fields else None, exc.message)
            else:
                messages.success(request, _("Settlement policy version %(v)s saved.") % {"v": new.version})
                return redirect("settlements:policy")
        status = 400
    else:
        initial = {"reserve_months": policy.reserve_months}
        for n, band in enumerate(policy.bands, start=1):
            initial |= {
                f"low_{n}": band["low"],
                f"high_{n}": band["high"],
                f"rate_{n}": band["rate"],
                f"renew_{n}": band["renew"],
            }
        form = PolicyForm(initial=initial)
        status = 200
    return render(
        request, "settlements/policy.html", {"office": office, "policy": policy, "form": form}, status=status
    )
