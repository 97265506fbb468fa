"""The street office's admin for organisations, people and roles.

Two rules shape everything here:

* **Writes go through services**, so each one is validated once, in one place, and
  leaves its audit event. An add form calls the ``*_create`` service; a change form
  is editable only where a service offers a change (``unit_update``,
  ``membership_end``) and read-only everywhere else. Nothing is deleted from the
  admin: rows are referenced with PROTECT and the audit trail must stay whole.
* **Tenant scope**: a superuser sees everything; any other staff user sees only the
  street offices where they hold an active street-office membership (admins may
  write, inspectors only read), and the compounds under them. Roles live in
  ``communities.Membership``, so Django's per-model permissions are not consulted.
"""

from __future__ import annotations

from functools import partial

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.stepup import second_factor_from_session
from common.errors import ApplicationError
from common.phone import normalize_phone
from communities import services
from communities.models import (
    AuditEvent,
    Building,
    Community,
    Compound,
    Duty,
    DutyListVersion,
    Membership,
    PartyUnit,
    PropertyCompany,
    Role,
    RoleGrant,
    ServiceContract,
    StewardAssignment,
    StreetOffice,
    Unit,
    UnitOwnership,
)
from communities.permissions import SIGNING_ROLES, active_memberships

# --------------------------------------------------------------------------- who may do what


class _Scope:
    """The street offices a request may see (None: all of them) and whether it may write."""

    def __init__(self, offices: set[int] | None, can_write: bool):
        self.offices = offices
        self.can_write = can_write


def admin_scope(request) -> _Scope:
    # Cached on the request: the admin asks several times per page.
    scope = getattr(request, "_gongguan_admin_scope", None)
    if scope is None:
        user = request.user
        if not (user.is_active and user.is_staff):
            scope = _Scope(set(), False)
        elif user.is_superuser:
            scope = _Scope(None, True)
        else:
            rows = (
                active_memberships(user)
                .filter(role__in=[Role.STREET_ADMIN, Role.STREET_INSPECTOR])
                .values_list("street_office_id", "role")
            )
            scope = _Scope(
                {office for office, _role in rows},
                any(role == Role.STREET_ADMIN for _office, role in rows),
            )
        request._gongguan_admin_scope = scope
    return scope


# How each tenant-owned model reaches its street office.
OFFICE_PATH: dict[type, str] = {
    StreetOffice: "pk",
    Community: "street_office",
    Compound: "community__street_office",
    Building: "compound__community__street_office",
    Unit: "compound__community__street_office",
    UnitOwnership: "compound__community__street_office",
    ServiceContract: "compound__community__street_office",
    PartyUnit: "community__street_office",
    StewardAssignment: "compound__community__street_office",
    Duty: "duty_list__compound__community__street_office",
    # Events without a compound (a new street office, a new company) are the superuser's business.
    AuditEvent: "compound__community__street_office",
}
# Not owned by a tenant: a company serves compounds of several street offices.
UNSCOPED = {PropertyCompany, User}


def _scope_q(model, offices: set[int]) -> Q:
    if model in (Membership, RoleGrant):
        return (
            Q(street_office__in=offices)
            | Q(community__street_office__in=offices)
            | Q(compound__community__street_office__in=offices)
            | Q(company__contracts__compound__community__street_office__in=offices)
        )
    if model is DutyListVersion:
        return Q(street_office__in=offices) | Q(compound__community__street_office__in=offices)
    return Q(**{f"{OFFICE_PATH[model]}__in": offices})


def scoped(model, request, queryset=None):
    """``queryset`` (default: all rows of ``model``) cut down to the request's scope."""
    queryset = model._default_manager.all() if queryset is None else queryset
    offices = admin_scope(request).offices
    if offices is None or model in UNSCOPED:
        return queryset
    # A subquery rather than a filter: the company path of a membership joins
    # contracts and would repeat rows.
    return queryset.filter(pk__in=model._default_manager.filter(_scope_q(model, offices)).values("pk"))


# --------------------------------------------------------------------------- forms


def _place_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: on a field when the form has it,
    at the top of the form otherwise."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class ServiceModelForm(forms.ModelForm):
    """An admin form whose save is a service call.

    The service is the judge: it validates (its own rules and the model's) and
    writes with its audit event, so the form skips Django's model validation and
    calls the service at the end of ``is_valid()``; its errors come back on the
    fields. ``ServiceAdmin.get_form`` sets ``service_call`` per request.
    """

    service_call = None

    def _post_clean(self):
        if self.service_call is None:
            return super()._post_clean()
        if self._errors:
            return None
        try:
            self.instance = self.service_call(self)
        except ValidationError as exc:
            _place_errors(self, exc)
        except ApplicationError as exc:  # a refusal (e.g. a role given to oneself)
            self.add_error(None, exc.message)
        return None


class UserByPhoneField(forms.CharField):
    """Pick a person by mobile number (as typed: 13800138000), not from a list of
    every user in the city."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile number of the person"))
        kwargs.setdefault("help_text", _("The person must already have an account, e.g. 13800138000."))
        super().__init__(**kwargs)
        self.widget.attrs.update({"type": "tel", "inputmode": "tel", "autocomplete": "off"})

    def clean(self, value):
        value = super().clean(value)
        phone = normalize_phone(value)
        user = User.objects.filter(phone=phone, is_active=True).first()
        if user is None:
            raise ValidationError(_("No active account uses %(phone)s."), params={"phone": value})
        return user


class PersonAddForm(ServiceModelForm):
    user = UserByPhoneField()


class ContractAddForm(ServiceModelForm):
    handover = forms.BooleanField(
        label=_("Handover"),
        required=False,
        help_text=_(
            "Tick when another company's contract is in force: it ends the day before this one "
            "starts, so the compound is never without a contract."
        ),
    )


# --------------------------------------------------------------------------- the base admin


class ServiceAdmin(admin.ModelAdmin):
    """Scoped, service-backed admin. Subclasses set ``add_fields`` and implement
    ``create``; those with an update service set ``change_fields`` and ``update``."""

    form = ServiceModelForm
    add_fields: tuple[str, ...] = ()
    detail_fields: tuple[str, ...] = ()
    change_fields: tuple[str, ...] = ()
    actions = None
    list_per_page = 50

    # -- services
    def create(self, request, form):
        raise NotImplementedError

    def update(self, request, obj, form):
        raise NotImplementedError

    def _creates(self) -> bool:
        return type(self).create is not ServiceAdmin.create

    # -- permissions
    def has_module_permission(self, request):
        scope = admin_scope(request)
        return scope.offices is None or bool(scope.offices)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self._creates() and admin_scope(request).can_write

    def has_change_permission(self, request, obj=None):
        return bool(self.change_fields) and admin_scope(request).can_write

    def has_delete_permission(self, request, obj=None):
        return False

    # -- what is shown
    def get_queryset(self, request):
        return scoped(self.model, request, super().get_queryset(request))

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(self.add_fields)
        return list(self.detail_fields or self.add_fields)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [name for name in self.get_fields(request, obj) if name not in self.change_fields]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Choices outside the user's street offices are neither listed nor accepted.
        related = db_field.related_model
        if related in OFFICE_PATH or related in (Membership, DutyListVersion):
            kwargs.setdefault("queryset", scoped(related, request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            call = partial(self.create, request)
        elif self.change_fields and self.has_change_permission(request, obj):
            call = partial(self.update, request, obj)
        else:
            return form
        return type(form.__name__, (form,), {"service_call": staticmethod(call)})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Django wraps a POST in transaction.atomic(); our services open their own
        # durable transaction (the audit event commits with the change or not at
        # all), which cannot nest inside another one.
        return self._changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """Nothing to do: the form's service call already saved ``obj``."""

    def save_related(self, request, form, formsets, change):
        """Nothing to do: no admin form here edits relations directly."""


class ReadOnlyAdmin(ServiceAdmin):
    """Viewable in scope, never written from the admin."""

    def has_change_permission(self, request, obj=None):
        return False


def _changed(form, names) -> dict:
    return {name: form.cleaned_data[name] for name in names if name in form.changed_data}


# --------------------------------------------------------------------------- organisations


@admin.register(StreetOffice)
class StreetOfficeAdmin(ServiceAdmin):
    list_display = ("name", "district", "city", "created_at")
    search_fields = ("name", "district", "city")
    add_fields = ("name", "district", "city")
    detail_fields = ("name", "district", "city", "created_at")

    def has_add_permission(self, request):
        # A new street office is a new deployment tenant: the operator's decision.
        return request.user.is_superuser

    def create(self, request, form):
        return services.street_office_create(**form.cleaned_data, actor=request.user)


class _ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent; the parent admin has already checked scope."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return admin_scope(request).offices is None or bool(admin_scope(request).offices)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CommunityCompoundInline(_ReadOnlyInline):
    model = Compound
    fields = ("name", "slug", "is_pilot")
    readonly_fields = fields
    show_change_link = True


@admin.register(Community)
class CommunityAdmin(ServiceAdmin):
    list_display = ("name", "street_office", "created_at")
    list_filter = (("street_office", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name",)
    add_fields = ("street_office", "name")
    detail_fields = ("street_office", "name", "created_at")
    inlines = [CommunityCompoundInline]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def create(self, request, form):
        return services.community_create(**form.cleaned_data, actor=request.user)


@admin.register(Compound)
class CompoundAdmin(ServiceAdmin):
    list_display = ("name", "slug", "community", "is_pilot", "created_at")
    list_filter = ("is_pilot", ("community", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "slug", "address")
    add_fields = ("community", "name", "slug", "address")
    detail_fields = ("community", "name", "slug", "address", "is_pilot", "created_at")

    def view_on_site(self, obj):
        return reverse("compound-public", args=[obj.slug])

    def create(self, request, form):
        # compound_create also copies the street office's current duty list.
        return services.compound_create(**form.cleaned_data, actor=request.user)


@admin.register(Building)
class BuildingAdmin(ServiceAdmin):
    list_display = ("name", "compound", "sort_key")
    list_filter = (("compound", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name", "compound__name")
    add_fields = ("compound", "name", "sort_key")

    def create(self, request, form):
        return services.building_create(**form.cleaned_data, actor=request.user)


@admin.register(Unit)
class UnitAdmin(ServiceAdmin):
    list_display = ("__str__", "compound", "building", "entrance", "number", "floor_area")
    list_filter = (("compound", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("number", "building__name", "compound__name")
    list_select_related = ("compound", "building")
    add_fields = ("building", "entrance", "number", "floor_area")
    detail_fields = ("compound", "building", "entrance", "number", "floor_area")
    change_fields = ("entrance", "number", "floor_area")

    def create(self, request, form):
        return services.unit_create(**form.cleaned_data, actor=request.user)

    def update(self, request, obj, form):
        changes = _changed(form, self.change_fields)
        if not changes:
            return obj
        return services.unit_update(unit=obj, actor=request.user, **changes)


@admin.register(UnitOwnership)
class UnitOwnershipAdmin(ServiceAdmin):
    form = PersonAddForm
    list_display = ("unit", "user", "compound", "start_date", "end_date")
    list_filter = (("compound", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("user__display_name", "user__phone", "unit__number")
    list_select_related = ("unit__building", "user", "compound")
    raw_id_fields = ("unit",)
    add_fields = ("unit", "user", "start_date")
    detail_fields = ("compound", "unit", "user", "start_date", "end_date")

    def create(self, request, form):
        return services.unit_owner_add(**form.cleaned_data, actor=request.user)


@admin.register(PropertyCompany)
class PropertyCompanyAdmin(ServiceAdmin):
    list_display = ("name", "credit_code", "has_party_branch", "created_at")
    list_filter = ("has_party_branch",)
    search_fields = ("name", "credit_code")
    add_fields = ("name", "credit_code", "has_party_branch")
    detail_fields = ("name", "credit_code", "has_party_branch", "created_at")

    def create(self, request, form):
        return services.property_company_create(**form.cleaned_data, actor=request.user)


@admin.register(ServiceContract)
class ServiceContractAdmin(ServiceAdmin):
    form = ContractAddForm
    list_display = ("compound", "company", "start_date", "end_date", "fee_rate_fen", "status")
    list_filter = ("status", ("compound", admin.RelatedOnlyFieldListFilter))
    search_fields = ("compound__name", "company__name")
    list_select_related = ("compound", "company")
    add_fields = ("compound", "company", "start_date", "end_date", "fee_rate_fen", "handover")
    detail_fields = ("compound", "company", "start_date", "end_date", "fee_rate_fen", "status", "created_at")

    def create(self, request, form):
        data = dict(form.cleaned_data)
        start = services.contract_handover if data.pop("handover") else services.contract_start
        return start(**data, actor=request.user)


# --------------------------------------------------------------------------- people and roles


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    form = PersonAddForm
    list_display = ("user", "role", "party", "organisation_name", "title", "start_date", "end_date")
    list_filter = ("party", "role", ("compound", admin.RelatedOnlyFieldListFilter))
    search_fields = ("user__display_name", "user__phone", "title")
    list_select_related = ("user", "street_office", "community", "company", "compound")
    add_fields = (
        "user",
        "role",
        "street_office",
        "community",
        "company",
        "compound",
        "title",
        "start_date",
        "end_date",
    )
    detail_fields = (
        "user",
        "party",
        "role",
        "street_office",
        "community",
        "company",
        "compound",
        "title",
        "start_date",
        "end_date",
        "created_at",
    )
    # Ending a role is the one change a membership takes (membership_end).
    change_fields = ("end_date",)

    @admin.display(description=_("organisation"))
    def organisation_name(self, obj):
        return str(obj.organisation)

    def create(self, request, form):
        if form.cleaned_data.get("role") in SIGNING_ROLES:
            raise ValidationError(
                {
                    "role": _(
                        "A role that signs payouts is asked for under “Role grants” and confirmed by a second person."
                    )
                }
            )
        return services.membership_create(**form.cleaned_data, actor=request.user)

    def update(self, request, obj, form):
        if "end_date" not in form.changed_data:
            return obj
        end_date = form.cleaned_data["end_date"]
        if end_date is None:
            raise ValidationError({"end_date": _("Give the last day of this role.")})
        return services.membership_end(membership=obj, end_date=end_date, actor=request.user)


@admin.register(RoleGrant)
class RoleGrantAdmin(ServiceAdmin):
    """Signing roles: one admin asks, another confirms (with a fresh second factor)."""

    form = PersonAddForm
    list_display = (
        "user",
        "role",
        "organisation_name",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
    )
    list_filter = ("status", "role")
    list_select_related = (
        "user",
        "street_office",
        "community",
        "company",
        "compound",
        "requested_by",
        "decided_by",
    )
    add_fields = ("user", "role", "community", "compound", "title", "start_date", "end_date")
    detail_fields = (
        "user",
        "role",
        "community",
        "compound",
        "title",
        "start_date",
        "end_date",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "membership",
    )
    actions = ["confirm_grants", "cancel_grants"]

    @admin.display(description=_("organisation"))
    def organisation_name(self, obj):
        return str(obj.organisation)

    def create(self, request, form):
        return services.role_grant_request(**form.cleaned_data, actor=request.user)

    def _each(self, request, queryset, call):
        done = 0
        for grant in queryset:
            try:
                call(grant)
                done += 1
            except (ApplicationError, ValidationError) as exc:
                self.message_user(request, f"{grant}: {getattr(exc, 'message', exc)}", level="error")
        if done:
            self.message_user(request, _("%(n)d request(s) done.") % {"n": done})

    @admin.action(
        description=_("Confirm the selected requests (needs your second factor from the last 5 minutes)")
    )
    def confirm_grants(self, request, queryset):
        proof = second_factor_from_session(request)
        self._each(
            request,
            queryset,
            lambda grant: services.role_grant_confirm(grant=grant, actor=request.user, second_factor=proof),
        )

    @admin.action(description=_("Withdraw or refuse the selected requests"))
    def cancel_grants(self, request, queryset):
        self._each(
            request, queryset, lambda grant: services.role_grant_cancel(grant=grant, actor=request.user)
        )


@admin.register(PartyUnit)
class PartyUnitAdmin(ServiceAdmin):
    list_display = ("name", "level", "community", "compound", "building", "parent")
    list_filter = ("level", ("community", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name",)
    list_select_related = ("community", "compound", "building", "parent")
    add_fields = ("level", "name", "community", "parent", "compound", "building")
    detail_fields = ("level", "name", "community", "parent", "compound", "building", "secretary")

    def create(self, request, form):
        return services.party_unit_create(**form.cleaned_data, actor=request.user)


@admin.register(StewardAssignment)
class StewardAssignmentAdmin(ServiceAdmin):
    list_display = ("membership", "building", "compound", "party_unit")
    list_filter = (("compound", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("membership__user__display_name", "building__name")
    list_select_related = ("membership__user", "building", "compound", "party_unit")
    add_fields = ("membership", "building")
    detail_fields = ("compound", "membership", "building", "party_unit")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "membership":
            kwargs["queryset"] = (
                scoped(Membership, request).filter(role=Role.STEWARD).select_related("user", "compound")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def create(self, request, form):
        [assignment] = services.steward_assign(
            membership=form.cleaned_data["membership"],
            buildings=[form.cleaned_data["building"]],
            actor=request.user,
        )
        return assignment


# --------------------------------------------------------------------------- duty lists (read-only here)


class DutyInline(_ReadOnlyInline):
    model = Duty
    fields = ("number", "title", "by_community", "by_committee", "by_company", "cadence")
    readonly_fields = fields


@admin.register(DutyListVersion)
class DutyListVersionAdmin(ReadOnlyAdmin):
    """Versions are never edited: compounds revise theirs on the compound's page,
    which writes a new version through ``duty_list_revise``."""

    list_display = ("__str__", "compound", "street_office", "version", "reason", "created_by", "created_at")
    list_filter = (("compound", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("compound__name", "street_office__name", "reason")
    list_select_related = ("compound", "street_office", "created_by")
    detail_fields = ("street_office", "compound", "version", "based_on", "reason", "created_by", "created_at")
    inlines = [DutyInline]


@admin.register(Duty)
class DutyAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "duty_list", "by_community", "by_committee", "by_company", "cadence")
    list_filter = ("cadence", "by_community", "by_committee", "by_company")
    search_fields = ("title", "description")
    list_select_related = ("duty_list__compound", "duty_list__street_office")
    detail_fields = (
        "duty_list",
        "number",
        "title",
        "description",
        "by_community",
        "by_committee",
        "by_company",
        "cadence",
    )


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail: read it, filter it; nobody adds, changes or deletes it."""

    list_display = ("created_at", "action", "object_repr", "compound", "actor", "ip_address")
    list_filter = ("action", "object_type", ("compound", admin.RelatedOnlyFieldListFilter))
    search_fields = ("action", "object_repr", "object_id")
    list_select_related = ("compound", "actor")
    date_hierarchy = "created_at"
    detail_fields = (
        "created_at",
        "actor",
        "compound",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "before",
        "after",
        "ip_address",
    )
