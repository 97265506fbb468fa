"""Assessment and repair pages. Thin: ``access_compound`` (404 for forbidden and missing
alike) → selector or service → render. Services' refusals are shown next to the field
they name (``errors`` in the context, keyed like the service's ValidationError)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.stepup import has_strong_mfa, second_factor_from_session
from common.errors import ApplicationError
from communities.models import Building, Unit
from communities.permissions import Capability, CapabilityDenied, access_compound
from communities.selectors import public_compound

from . import repairs as repair_services
from . import selectors, services
from .models import (
    Objection,
    ObjectionDecision,
    RepairCategory,
    RepairKind,
    RepairStatus,
    RoundStatus,
    SignoffRole,
    Urgency,
)


def errors_of(exc) -> dict[str, str]:
    """{field: message} from a service refusal (ValidationError or ApplicationError)."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return {k: " ".join(v) for k, v in exc.message_dict.items()}
        return {"general": " ".join(exc.messages)}
    fields = (exc.extra or {}).get("fields") or {}
    if fields:
        return {k: " ".join(str(m) for m in v) for k, v in fields.items()}
    return {"general": exc.message}


def _round(request, slug, pk, capability=Capability.VIEW_MEMBERS_AREA):
    compound, standing = access_compound(request.user, slug, capability)
    return compound, standing, selectors.round_get(compound, pk)


# --------------------------------------------------------------------------- public


def public_scores_page(request, slug):
    """The compound's public score page: latest score, trend, each round's breakdown."""
    compound = public_compound(slug)
    if compound is None:
        raise Http404
    context = {
        "compound": compound,
        "scores": selectors.public_scores(compound),
        "stats": selectors.repair_stats(compound),
    }
    return render(request, "assessments/public.html", context)


def round_report_pdf(request, slug, pk):
    """The published round's report in Chinese (PDF, public like the score)."""
    from .report import round_report_pdf as build

    compound = public_compound(slug)
    if compound is None:
        raise Http404
    rnd = selectors.round_get(compound, pk)
    if rnd.status not in (RoundStatus.PUBLISHED, RoundStatus.SUPERSEDED):
        raise Http404
    response = HttpResponse(build(rnd), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="assessment-{compound.slug}-{rnd.year}q{rnd.quarter}.pdf"'
    )
    return response


# --------------------------------------------------------------------------- rounds


@login_required
def round_list(request, slug):
    compound, standing = access_compound(request.user, slug)
    context = {
        "compound": compound,
        "standing": standing,
        "rounds": selectors.round_list(compound),
        "may_open": standing.can(Capability.OPEN_ASSESSMENT_ROUND),
        "may_check": standing.can(Capability.RECORD_DUTY_CHECK),
        "may_edit_template": standing.can(Capability.MANAGE_ASSESSMENT_TEMPLATES),
        "errors": {},
    }
    return render(request, "assessments/round_list.html", context)


@login_required
@require_POST
def round_open(request, slug):
    compound, standing = access_compound(request.user, slug, Capability.OPEN_ASSESSMENT_ROUND)
    try:
        rnd = services.round_open(
            compound=compound,
            year=request.POST.get("year"),
            quarter=request.POST.get("quarter"),
            actor=request.user,
        )
    except (ValidationError, ApplicationError) as exc:
        context = {
            "compound": compound,
            "standing": standing,
            "rounds": selectors.round_list(compound),
            "may_open": True,
            "errors": errors_of(exc),
        }
        return render(request, "assessments/round_list.html", context, status=400)
    messages.success(request, _("The round for %(p)s is open.") % {"p": rnd.label})
    return redirect(services.round_url(rnd))


@login_required
def round_detail(request, slug, pk):
    compound, standing, rnd = _round(request, slug, pk)
    scorer = selectors.my_scorer(rnd, request.user)
    signed = {s.role: s for s in rnd.signoffs.select_related("signer")}
    objection = Objection.objects.filter(round=rnd).first()
    context = {
        "compound": compound,
        "standing": standing,
        "round": rnd,
        "result": rnd.result,
        "scorer": scorer,
        "progress": selectors.scorer_progress(rnd),
        "survey_count": selectors.survey_count(rnd),
        "my_units": selectors.my_units_answers(rnd, request.user) if rnd.status == RoundStatus.OPEN else [],
        "may_close": rnd.status == RoundStatus.OPEN and standing.can(Capability.OPEN_ASSESSMENT_ROUND),
        "may_sign": rnd.status == RoundStatus.CLOSED
        and standing.can(Capability.SIGN_ASSESSMENT)
        and request.user.pk not in {s.signer_id for s in signed.values()},
        "signoffs": [(role, signed.get(role)) for role in SignoffRole],
        "objection": objection,
        "may_object": rnd.status == RoundStatus.PUBLISHED
        and objection is None
        and standing.can(Capability.OBJECT_TO_ASSESSMENT),
        "may_decide": objection is not None
        and objection.decision == ObjectionDecision.PENDING
        and standing.can(Capability.DECIDE_ASSESSMENT_OBJECTION),
        "superseded_by": getattr(rnd, "superseded_by", None)
        if rnd.status == RoundStatus.SUPERSEDED
        else None,
        "low_scores": selectors.low_scores(rnd) if rnd.status != RoundStatus.OPEN else [],
    }
    return render(request, "assessments/round_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def round_score(request, slug, pk):
    """A scorer's sheet, phone-first: one block per item with guidance."""
    compound, standing, rnd = _round(request, slug, pk)
    scorer = selectors.my_scorer(rnd, request.user)
    if scorer is None:
        if not standing.can(Capability.SCORE_COMPANY):
            raise CapabilityDenied(compound, Capability.SCORE_COMPANY)  # a 403 naming who scores
        raise Http404  # a scorer's role, but not among this round's scorers
    items = selectors.round_items(rnd)
    errors: dict[str, str] = {}
    values = {}
    if request.method == "POST":
        scores, photos = {}, {}
        for item in items:
            scores[item.pk] = {
                "points": request.POST.get(f"points-{item.pk}", ""),
                "comment": request.POST.get(f"comment-{item.pk}", ""),
            }
            files = request.FILES.getlist(f"photos-{item.pk}")
            if files:
                photos[item.pk] = files
        values = scores
        try:
            services.score_submit(round=rnd, actor=request.user, scores=scores, photos=photos)
        except (ValidationError, ApplicationError) as exc:
            errors = errors_of(exc)
        else:
            messages.success(request, _("Thank you: your scores are in."))
            return redirect(services.round_url(rnd))
    rows = [
        {
            "item": item,
            "points": (values.get(item.pk) or {}).get("points", ""),
            "comment": (values.get(item.pk) or {}).get("comment", ""),
            "points_error": errors.get(f"scores.{item.number}.points"),
            "comment_error": errors.get(f"scores.{item.number}.comment"),
        }
        for item in items
    ]
    general = {k: v for k, v in errors.items() if not k.startswith("scores.")}
    context = {"compound": compound, "round": rnd, "scorer": scorer, "rows": rows, "errors": general}
    return render(request, "assessments/score.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def round_survey(request, slug, pk):
    """The owners' satisfaction survey: one answer per unit, changeable until closing."""
    compound, _standing, rnd = _round(request, slug, pk)
    units = selectors.my_units_answers(rnd, request.user)
    if not units:
        raise Http404
    errors: dict[str, str] = {}
    if request.method == "POST":
        unit = next((u["unit"] for u in units if str(u["unit"].pk) == request.POST.get("unit")), None)
        try:
            services.survey_answer(
                round=rnd,
                unit=unit,
                actor=request.user,
                rating=request.POST.get("rating"),
                comment=request.POST.get("comment", ""),
            )
        except (ValidationError, ApplicationError) as exc:
            errors = errors_of(exc)
        else:
            messages.success(
                request, _("Thank you: your answer is saved. You can change it until the round closes.")
            )
            return redirect(services.round_url(rnd))
    context = {
        "compound": compound,
        "round": rnd,
        "units": units,
        "errors": errors,
        "ratings": range(5, 0, -1),
    }
    return render(request, "assessments/survey.html", context, status=400 if errors else 200)


@login_required
@require_POST
def round_close(request, slug, pk):
    _compound, _standing, rnd = _round(request, slug, pk, Capability.OPEN_ASSESSMENT_ROUND)
    try:
        services.round_close(round=rnd, actor=request.user)
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, " ".join(errors_of(exc).values()))
    else:
        messages.success(request, _("The round is closed and its result frozen."))
    return redirect(services.round_url(rnd))


@login_required
@require_POST
def round_sign(request, slug, pk):
    """Sign the frozen result off, behind step-up (a TOTP check in the last 5 minutes)."""
    from accounts.stepup import StepUpRequiredError, check_second_factor

    _compound, _standing, rnd = _round(request, slug, pk, Capability.SIGN_ASSESSMENT)
    here = services.round_url(rnd)
    try:
        proof = check_second_factor(second_factor_from_session(request))
    except StepUpRequiredError:
        if not has_strong_mfa(request.user):
            messages.warning(request, _("Signing needs an authenticator app (TOTP). Set it up here first."))
            return redirect(reverse("mfa_activate_totp"))
        messages.info(request, _("Enter the code from your authenticator app, then sign again."))
        return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': here})}")
    try:
        services.round_signoff(round=rnd, actor=request.user, second_factor=proof)
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, " ".join(errors_of(exc).values()))
    else:
        messages.success(request, _("You signed the result off."))
    return redirect(here)


@login_required
@require_POST
def round_object(request, slug, pk):
    _compound, _standing, rnd = _round(request, slug, pk, Capability.OBJECT_TO_ASSESSMENT)
    try:
        services.objection_lodge(round=rnd, actor=request.user, reason=request.POST.get("reason", ""))
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, " ".join(errors_of(exc).values()))
    else:
        messages.success(request, _("Your objection is lodged; the street office will decide."))
    return redirect(services.round_url(rnd))


@login_required
@require_POST
def objection_decide(request, slug, pk):
    _compound, _standing, rnd = _round(request, slug, pk, Capability.DECIDE_ASSESSMENT_OBJECTION)
    objection = Objection.objects.filter(round=rnd).first()
    if objection is None:
        raise Http404
    try:
        services.objection_decide(
            objection=objection,
            actor=request.user,
            uphold=request.POST.get("decision") == "uphold",
            reason=request.POST.get("reason", ""),
        )
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, " ".join(errors_of(exc).values()))
    else:
        messages.success(request, _("The objection is decided."))
    return redirect(services.round_url(rnd))


# --------------------------------------------------------------------------- repairs


def repair_public(request, slug):
    """Public repair figures: counts, median time to fix, mean rating; no names."""
    compound = public_compound(slug)
    if compound is None:
        raise Http404
    return render(
        request,
        "assessments/repair_public.html",
        {"compound": compound, "stats": selectors.repair_stats(compound)},
    )


@login_required
def repair_list(request, slug):
    compound, standing = access_compound(request.user, slug)
    qs = selectors.repairs_visible(compound, standing, request.user)
    status = request.GET.get("status", "")
    if status in ("open", "overdue"):
        qs = qs.exclude(status__in=[RepairStatus.DONE, RepairStatus.CONFIRMED])
    if status == "overdue":
        qs = qs.filter(due_at__lt=timezone.now())
    context = {
        "compound": compound,
        "standing": standing,
        "requests": qs[:100],
        "status": status,
        "may_report": standing.can(Capability.REPORT_ISSUES),
        "stats": selectors.repair_stats(compound),
    }
    return render(request, "assessments/repair_list.html", context)


def _my_units(user, compound):
    from communities.models import UnitOwnership, _active_q

    return [
        o.unit
        for o in UnitOwnership.objects.filter(_active_q(), user=user, compound=compound).select_related(
            "unit__building"
        )
    ]


@login_required
@require_http_methods(["GET", "POST"])
def repair_new(request, slug):
    compound, standing = access_compound(request.user, slug, Capability.REPORT_ISSUES)
    units = _my_units(request.user, compound)
    buildings = list(Building.objects.filter(compound=compound).order_by("sort_key", "name"))
    errors: dict[str, str] = {}
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        unit = (
            Unit.objects.filter(compound=compound, pk=data.get("unit") or None).first()
            if data.get("unit")
            else None
        )
        building = (
            Building.objects.filter(compound=compound, pk=data.get("building")).first()
            if data.get("building")
            else None
        )
        try:
            req = repair_services.repair_report(
                compound=compound,
                actor=request.user,
                kind=data.get("kind", RepairKind.REPAIR),
                category=data.get("category", ""),
                urgency=data.get("urgency", Urgency.NORMAL),
                description=data.get("description", ""),
                unit=unit,
                building=building,
                location=data.get("location", ""),
                from_patrol=data.get("from_patrol") == "on",
                photos=request.FILES.getlist("photos"),
            )
        except (ValidationError, ApplicationError) as exc:
            errors = errors_of(exc)
        else:
            messages.success(
                request, _("Request #%(n)s is filed. The property staff have been told.") % {"n": req.pk}
            )
            return redirect(repair_services.repair_url(req))
    context = {
        "compound": compound,
        "units": units,
        "buildings": buildings,
        "categories": RepairCategory.choices,
        "urgencies": Urgency.choices,
        "kinds": RepairKind.choices,
        "data": data,
        "errors": errors,
        "is_steward": "steward" in standing.roles,
    }
    return render(request, "assessments/repair_new.html", context, status=400 if errors else 200)


@login_required
def repair_detail(request, slug, pk):
    compound, standing = access_compound(request.user, slug)
    req = selectors.repair_get(compound, standing, request.user, pk)
    staff = standing.can(Capability.HANDLE_REPAIRS)
    context = {
        "compound": compound,
        "req": req,
        "events": req.events.select_related("actor"),
        "photos": req.photos.all(),
        "may_accept": staff and req.status == RepairStatus.REPORTED,
        "may_start": staff and req.status in (RepairStatus.REPORTED, RepairStatus.ACCEPTED),
        "may_done": staff and req.is_open,
        "may_confirm": req.status == RepairStatus.DONE and repair_services.may_confirm(req, request.user),
        "show_reporter": standing.can(Capability.VIEW_ALL_REPAIRS) or req.reported_by_id == request.user.pk,
        "errors": {},
    }
    return render(request, "assessments/repair_detail.html", context)


REPAIR_ACTIONS = ("accept", "start", "done", "confirm", "reopen")


@login_required
@require_POST
def repair_action(request, slug, pk, action):
    if action not in REPAIR_ACTIONS:
        raise Http404
    capability = (
        Capability.HANDLE_REPAIRS if action in ("accept", "start", "done") else Capability.VIEW_MEMBERS_AREA
    )
    compound, standing = access_compound(request.user, slug, capability)
    req = selectors.repair_get(compound, standing, request.user, pk)
    if action in ("confirm", "reopen") and not repair_services.may_confirm(req, request.user):
        raise Http404
    try:
        if action == "accept":
            repair_services.repair_accept(request=req, actor=request.user)
        elif action == "start":
            repair_services.repair_start(request=req, actor=request.user)
        elif action == "done":
            repair_services.repair_done(
                request=req,
                actor=request.user,
                note=request.POST.get("note", ""),
                photos=request.FILES.getlist("photos"),
            )
        elif action == "confirm":
            repair_services.repair_confirm(
                request=req,
                actor=request.user,
                rating=request.POST.get("rating"),
                comment=request.POST.get("comment", ""),
            )
        else:
            repair_services.repair_reopen(
                request=req, actor=request.user, reason=request.POST.get("reason", "")
            )
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, " ".join(errors_of(exc).values()))
    else:
        messages.success(request, _("Saved."))
    return redirect(repair_services.repair_url(req))


# --------------------------------------------------------------------------- street office: template and weights


def _office_for(request):
    """The street office this admin manages (``?office=`` when they manage several)."""
    from communities.models import Role
    from communities.permissions import active_memberships

    offices = [
        m.street_office
        for m in active_memberships(request.user)
        .filter(role=Role.STREET_ADMIN)
        .select_related("street_office")
    ]
    wanted = request.GET.get("office") or request.POST.get("office")
    office = next((o for o in offices if str(o.pk) == wanted), offices[0] if offices else None)
    if office is None:
        raise Http404
    return office, offices


def template_lines(template) -> str:
    """The editable text of a template: one item per line, '分项 | 条目 | 满分 | 权责序号 | 评分说明'."""
    if template is None:
        from .default_template import default_template_sections

        sections = default_template_sections()
        return "\n".join(
            f"{s['title']} | {i['title']} | {i['max_points']} | {i['duty_number'] or ''} | {i['guidance']}"
            for s in sections
            for i in s["items"]
        )
    return "\n".join(
        f"{i.section.title} | {i.title} | {i.max_points} | {i.duty_number or ''} | {i.guidance}"
        for i in template.items.select_related("section").order_by("number")
    )


def parse_template_lines(text: str) -> list[dict]:
    sections: list[dict] = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")] + ["", "", "", "", ""]
        section, title, points, duty, guidance = parts[:5]
        if not sections or sections[-1]["title"] != section:
            sections.append({"title": section, "items": []})
        sections[-1]["items"].append(
            {"title": title, "max_points": points, "duty_number": duty or None, "guidance": guidance}
        )
    return sections


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request):
    """The street office's assessment template and party weights: every save is a new
    version with a reason; rounds already opened keep the versions they started with."""
    from .models import AssessmentTemplate, WeightPolicy

    office, offices = _office_for(request)
    template = AssessmentTemplate.objects.filter(street_office=office).order_by("-version").first()
    policy = WeightPolicy.objects.filter(street_office=office).order_by("-version").first()
    errors: dict[str, str] = {}
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            if data.get("what") == "weights":
                services.weight_policy_publish(
                    street_office=office,
                    reason=data.get("reason", ""),
                    actor=request.user,
                    community=data.get("community"),
                    committee=data.get("committee"),
                    survey=data.get("survey"),
                    objective=data.get("objective"),
                )
            else:
                services.assessment_template_publish(
                    street_office=office,
                    title=data.get("title", ""),
                    sections=parse_template_lines(data.get("lines", "")),
                    reason=data.get("reason", ""),
                    actor=request.user,
                )
        except (ValidationError, ApplicationError) as exc:
            errors = errors_of(exc)
        else:
            messages.success(request, _("Saved as a new version."))
            return redirect(f"{reverse('assessments:template-edit')}?office={office.pk}")
    context = {
        "office": office,
        "offices": offices,
        "template": template,
        "policy": policy,
        "lines": data.get("lines") if data.get("what") == "template" else template_lines(template),
        "errors": errors,
        "data": data,
        "versions": AssessmentTemplate.objects.filter(street_office=office).order_by("-version")[:10],
    }
    return render(request, "assessments/template_edit.html", context, status=400 if errors else 200)


# --------------------------------------------------------------------------- duty checks


@login_required
@require_http_methods(["GET", "POST"])
def duty_checks(request, slug):
    """Record that a duty of the list was checked — evidence for the objective data."""
    import datetime as dt

    from communities.selectors import current_duty_list

    from .models import DutyCheck

    compound, _standing = access_compound(request.user, slug, Capability.RECORD_DUTY_CHECK)
    duty_list = current_duty_list(compound)
    duties = list(duty_list.duties.all()) if duty_list else []
    errors: dict[str, str] = {}
    if request.method == "POST":
        duty = next((d for d in duties if str(d.pk) == request.POST.get("duty")), None)
        try:
            checked_on = dt.date.fromisoformat(request.POST.get("checked_on", ""))
        except ValueError:
            checked_on = None
        try:
            if checked_on is None:
                raise ValidationError({"checked_on": _("Give the date of the check.")})
            services.duty_check_record(
                compound=compound,
                duty=duty,
                actor=request.user,
                checked_on=checked_on,
                ok=request.POST.get("ok") == "yes",
                note=request.POST.get("note", ""),
            )
        except (ValidationError, ApplicationError) as exc:
            errors = errors_of(exc)
        else:
            messages.success(request, _("The check is recorded."))
            return redirect(reverse("assessments:duty-checks", args=[compound.slug]))
    context = {
        "compound": compound,
        "duties": duties,
        "checks": DutyCheck.objects.filter(compound=compound)
        .select_related("duty", "checked_by")
        .order_by("-checked_on", "-pk")[:50],
        "errors": errors,
        "today": timezone.localdate().isoformat(),
    }
    return render(request, "assessments/duty_checks.html", context, status=400 if errors else 200)


# --------------------------------------------------------------------------- photos


def _photo_response(photo):
    from django.http import FileResponse

    try:
        handle = photo.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, filename=photo.original_name, content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@login_required
def repair_photo(request, slug, pk, photo_pk):
    """A request's photo, only to people who may see the request (never a public URL)."""
    compound, standing = access_compound(request.user, slug)
    req = selectors.repair_get(compound, standing, request.user, pk)
    photo = req.photos.filter(pk=photo_pk).first()
    if photo is None:
        raise Http404
    return _photo_response(photo)


@login_required
def score_photo(request, slug, pk, photo_pk):
    """A low score's photo, to the compound's members (the round's evidence)."""
    from .models import EvidencePhoto

    compound, _standing, rnd = _round(request, slug, pk)
    photo = (
        EvidencePhoto.objects.filter(compound=compound, score__round=rnd, pk=photo_pk)
        .select_related("score__scorer")
        .first()
    )
    # Scores stay private while the round is open: only the scorer who took the photo sees
    # it then, like the round page shows no one else's scores before it closes.
    if photo is None or (rnd.status == RoundStatus.OPEN and photo.score.scorer.user_id != request.user.pk):
        raise Http404
    return _photo_response(photo)
