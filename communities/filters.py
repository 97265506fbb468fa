"""Query-string filters for the communities API.

They narrow a queryset that the view has already scoped to one compound, so a
filter value naming another compound's row simply matches nothing — the same as
a value that names no row at all.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from communities.models import Membership, Role, Unit, _active_q

# The largest id a BIGINT primary key can hold; larger numbers would make the
# database driver overflow (a 500) instead of matching nothing.
MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class UnitFilter(django_filters.FilterSet):
    building = IdFilter(field_name="building_id", min_value=1, max_value=MAX_ID, label=_("Building id"))
    entrance = django_filters.CharFilter(field_name="entrance", label=_("Entrance (单元)"))

    class Meta:
        model = Unit
        fields = ["building", "entrance"]


class MembershipFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices, label=_("Role"))
    active = django_filters.BooleanFilter(method="filter_active", label=_("Active today"))

    class Meta:
        model = Membership
        fields = ["role", "active"]

    def filter_active(self, queryset, name, value):
        return queryset.filter(_active_q()) if value else queryset.exclude(_active_q())
