"""Pages. Thin: access checks through permissions, data through selectors, writes
through services. A compound the user may not see is a 404, like a missing one."""

from __future__ import annotations

import base64
import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.files import file_response
from common.money import format_yuan
from common.phone import mask_phone
from communities import selectors, services, unit_import
from communities.forms import (
    DUTY_FORMSET_PREFIX,
    DutyForm,
    DutyFormSet,
    DutyRevisionForm,
    UnitImportConfirmForm,
    UnitImportUploadForm,
    place_duty_errors,
)
from communities.models import Compound, Role
from communities.permissions import Capability, Standing, access_compound

# --------------------------------------------------------------------------- small helpers


def _role_labels(roles: set[str]) -> list[str]:
    """Role labels in the order of the Role enum, so a page lists them the same way every time."""
    return [role.label for role in Role if role.value in roles]


def _person_name(user) -> str:
    # Never str(user): a user without a display name is shown by username, which is
    # the phone number for people who log in by phone.
    return user.display_name or _("(name not given)")


# --------------------------------------------------------------------------- pages


def _members_list(compound: Compound, standing: Standing) -> list[dict] | None:
    if not standing.can(Capability.VIEW_MEMBERS_LIST):
        return None
    return [
        {
            "role": m.get_role_display(),
            "title": m.title,
            "name": _person_name(m.user),
            "phone": mask_phone(m.user.phone) if m.user.phone else "",
        }
        for m in selectors.compound_members(compound)
    ]


@login_required
def compound_members_page(request, slug):
    """The members' page of a compound: my roles, buildings, the duty list and its
    history, and (for roles that may see it) who holds which role."""
    compound, standing = access_compound(request.user, slug)
    duty_list = selectors.current_duty_list(compound)
    contract = selectors.active_contract(compound)
    return render(
        request,
        "communities/compound_members.html",
        {
            "compound": compound,
            "standing": standing,
            "my_roles": _role_labels(standing.roles),
            "contract": contract,
            "fee_rate": format_yuan(contract.fee_rate_fen) if contract else "",
            "buildings": selectors.buildings_with_unit_counts(compound),
            "duty_list": duty_list,
            "duty_groups": selectors.duties_by_party(duty_list),
            "versions": selectors.duty_list_versions(compound).select_related("created_by"),
            "members": _members_list(compound, standing),
            "can_edit_duties": standing.can(Capability.EDIT_DUTIES),
            **selectors.people_serving(compound, public=False),
            "caps": {str(c) for c in standing.capabilities},
        },
    )


@login_required
def duty_list_edit(request, slug):
    """Revise the compound's duty list: every save is a new version with a reason.

    The service is the judge of what a valid list is; its errors come back keyed by
    row (``duties[3]``), by list (``duties``) or by field (``reason``) and are shown
    in those places. Nothing is written unless the whole list is valid.
    """
    compound, _standing = access_compound(request.user, slug, Capability.EDIT_DUTIES)
    current = selectors.current_duty_list(compound)
    list_errors: list[str] = []
    if request.method == "POST":
        formset = DutyFormSet(request.POST, prefix=DUTY_FORMSET_PREFIX)
        reason_form = DutyRevisionForm(request.POST)
        valid = formset.is_valid() and reason_form.is_valid()
        if valid:
            rows = formset.kept_forms()
            items = [form.item() for form in rows]
            try:
                version = services.duty_list_revise(
                    compound=compound,
                    items=items,
                    reason=reason_form.cleaned_data["reason"],
                    actor=request.user,
                    based_on_version=reason_form.cleaned_data["based_on"],
                )
            except services.DutyListStaleError as exc:
                list_errors = [
                    _(
                        "Someone saved version %(version)s while you were editing, so nothing was saved. "
                        "Your changes are still below: submit again to save them as the next version."
                    )
                    % {"version": exc.current_version}
                ]
                # The next submit is based on the version now current: deliberate, it saves.
                reason_form = DutyRevisionForm({**request.POST.dict(), "based_on": exc.current_version})
                reason_form.is_valid()
            except ValidationError as exc:
                list_errors = place_duty_errors(exc, rows=rows, reason_form=reason_form)
                if set(getattr(exc, "error_dict", {})) == {"reason"}:
                    # The service stops at a missing reason; check the rows too so
                    # that one submit shows everything that needs fixing.
                    try:
                        services.validate_duty_items(items)
                    except ValidationError as row_exc:
                        list_errors = place_duty_errors(row_exc, rows=rows, reason_form=reason_form)
            else:
                messages.success(
                    request, _("Duty list version %(version)s saved.") % {"version": version.version}
                )
                return redirect("compound-members", slug=compound.slug)
    else:
        initial = [DutyForm.initial_for(duty) for duty in current.duties.all()] if current else []
        formset = DutyFormSet(initial=initial, prefix=DUTY_FORMSET_PREFIX)
        reason_form = DutyRevisionForm(initial={"based_on": current.version if current else None})
    return render(
        request,
        "communities/duty_list_edit.html",
        {
            "compound": compound,
            "duty_list": current,
            "formset": formset,
            "reason_form": reason_form,
            "list_errors": list_errors,
            "error_rows": [n for n, form in enumerate(formset.forms, 1) if form.is_bound and form.errors],
        },
    )


# --------------------------------------------------------------------------- units from a spreadsheet


def _pending_key(compound: Compound) -> str:
    return f"unit_import:{compound.pk}"


def _problems_of(exc: ApplicationError) -> list[dict]:
    return exc.extra.get("rows") or [{"row": None, "column": None, "message": exc.message}]


@login_required
def unit_import_page(request, slug):
    """The compound's roster of units from a CSV/XLSX file, in two steps: upload shows a
    preview (counts, the first rows, every problem by row and column) and writes nothing;
    confirm imports exactly the previewed file (kept in the session, checked by its digest)."""
    compound, _standing = access_compound(request.user, slug, Capability.MANAGE_UNITS)
    key = _pending_key(compound)
    upload_form = UnitImportUploadForm()
    plan = None
    problems: list[dict] = []
    if request.method == "POST" and "sha256" in request.POST:
        confirm = UnitImportConfirmForm(request.POST)
        pending = request.session.get(key) or {}
        data = base64.b64decode(pending.get("data", "")) if pending else b""
        digest = confirm.cleaned_data["sha256"] if confirm.is_valid() else None
        if not pending or digest != pending.get("sha256") or hashlib.sha256(data).hexdigest() != digest:
            messages.error(request, _("That preview has expired. Upload the file again."))
            return redirect("compound-units-import", slug=compound.slug)
        try:
            plan = unit_import.units_import(
                compound=compound, data=data, file_name=pending["name"], actor=request.user
            )
        except ApplicationError as exc:
            request.session.pop(key, None)
            problems = _problems_of(exc)
            upload_form.add_error(None, exc.message)
        else:
            request.session.pop(key, None)
            messages.success(
                request,
                _("%(file)s imported: %(new)s new units, %(existing)s already there, %(owners)s owner links.")
                % {
                    "file": plan.file_name,
                    "new": plan.new_units,
                    "existing": plan.existing_units,
                    "owners": plan.new_owner_links,
                },
            )
            return redirect("compound-members", slug=compound.slug)
    elif request.method == "POST":
        upload_form = UnitImportUploadForm(request.POST, request.FILES)
        if upload_form.is_valid():
            upload = upload_form.cleaned_data["file"]
            name = (upload.name or "").rsplit("/", 1)[-1][:200]
            data = upload.read(unit_import.MAX_BYTES + 1)
            try:
                plan = unit_import.units_import_plan(
                    compound=compound, data=data, file_name=name, actor=request.user
                )
            except ApplicationError as exc:
                request.session.pop(key, None)
                problems = _problems_of(exc)
                upload_form.add_error(None, exc.message)
            else:
                request.session[key] = {
                    "name": name,
                    "sha256": plan.sha256,
                    "data": base64.b64encode(data).decode("ascii"),
                }
    return render(
        request,
        "communities/unit_import.html",
        {
            "compound": compound,
            "form": upload_form,
            "plan": plan,
            "confirm_form": UnitImportConfirmForm(initial={"sha256": plan.sha256}) if plan else None,
            "problems": problems,
            "max_rows": unit_import.MAX_ROWS,
            "max_mb": unit_import.MAX_BYTES // (1024 * 1024),
        },
    )


@login_required
def unit_import_template(request, slug):
    """The template file: the headers the import reads, and one example row."""
    access_compound(request.user, slug, Capability.MANAGE_UNITS)
    return file_response(
        unit_import.template_csv(), filename="units-template.csv", content_type="text/csv; charset=utf-8"
    )
