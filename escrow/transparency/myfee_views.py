"""“Where my fee went” (我的物业费去哪了): an owner's own page, /c/<slug>/my-fee/.

Thin: access through communities.permissions (a member of the compound who owns a
unit in it; anyone else gets 404, as for a compound that does not exist), the
figures from escrow.transparency.fee_allocation, yuan only here at the edge.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.forms import IsoDateInput
from common.money import format_yuan
from common.periods import quarter_of, year_or_quarter_bounds
from communities.permissions import access_compound
from escrow.models import EscrowAccount
from escrow.transparency.fee_allocation import fee_allocation, owned_units

QUARTERS = [("", gettext_lazy("Whole year"))] + [(str(q), f"Q{q}") for q in range(1, 5)]


class FeePeriodForm(forms.Form):
    """A year (and optionally a quarter), or two dates. A year or quarter still running
    ends today, and one that began before the escrow account opened starts on the
    opening day; dates typed by hand must lie in [opening day, today]."""

    year = forms.IntegerField(label=gettext_lazy("Year"), required=False, min_value=2000, max_value=2100)
    quarter = forms.ChoiceField(label=gettext_lazy("Quarter"), required=False, choices=QUARTERS)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=IsoDateInput())
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=IsoDateInput())

    def __init__(self, *args, opened_on: dt.date, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.opened_on, self.today = opened_on, today

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from or date_to:
            self._check_dates(date_from, date_to)
        elif data.get("year"):
            self._check_year(data["year"], int(data["quarter"]) if data.get("quarter") else None)
        else:
            data["period"] = (max(self.today.replace(month=1, day=1), self.opened_on), self.today)
        return data

    def _check_dates(self, date_from, date_to) -> None:
        opened = date_format(self.opened_on, "Y-m-d")
        if date_from is None:
            self.add_error("date_from", _("Give the first day as well."))
        elif date_from < self.opened_on:
            self.add_error(
                "date_from",
                _("The escrow account opened on %(d)s; choose that day or later.") % {"d": opened},
            )
        if date_to is None:
            self.add_error("date_to", _("Give the last day as well."))
        elif date_to > self.today:
            self.add_error("date_to", _("The last day must not be in the future."))
        if date_from and date_to and date_from > date_to and not self.errors:
            self.add_error("date_to", _("The last day comes before the first day."))
        if not self.errors:
            self.cleaned_data["period"] = (date_from, date_to)

    def _check_year(self, year: int, quarter: int | None) -> None:
        start, end = year_or_quarter_bounds(year, quarter)
        field = "quarter" if quarter else "year"
        if start > self.today:
            self.add_error(field, _("This period has not begun yet."))
        elif end < self.opened_on:
            self.add_error(
                field,
                _("This period ended before the escrow account opened on %(d)s.")
                % {"d": date_format(self.opened_on, "Y-m-d")},
            )
        else:
            self.cleaned_data["period"] = (max(start, self.opened_on), min(end, self.today))


def _presets(base: str, opened_on: dt.date, today: dt.date) -> list[dict]:
    """This year, its quarters so far, last year — those the account has lived through."""
    out = []
    periods = [(_("This year"), today.year, None)]
    periods += [(f"Q{q}", today.year, q) for q in range(1, quarter_of(today)[1] + 1)]
    periods.append((_("Last year"), today.year - 1, None))
    for label, year, quarter in periods:
        start, end = year_or_quarter_bounds(year, quarter)
        if end < opened_on or start > today:
            continue
        query = {"year": year, **({"quarter": quarter} if quarter else {})}
        out.append({"label": label, "url": f"{base}?{urlencode(query)}", "query": query})
    return out


@login_required
def my_fee_page(request, slug):
    compound, _standing = access_compound(request.user, slug)
    units = owned_units(request.user, compound)
    if not units:
        raise Http404
    base = reverse("escrow:my-fee", args=[compound.slug])
    context = {"compound": compound, "units": [str(u) for u in units], "base_url": base}
    escrow = EscrowAccount.objects.filter(compound=compound).only("opened_on").first()
    if escrow is None:
        return render(request, "escrow/myfee/my_fee.html", {**context, "no_account": True})

    today = timezone.localdate()
    query = {
        k: v for k, v in request.GET.items() if k in ("year", "quarter", "date_from", "date_to") and v.strip()
    }
    form = FeePeriodForm(query, opened_on=escrow.opened_on, today=today)
    presets = _presets(base, escrow.opened_on, today)
    for preset in presets:
        preset["current"] = {k: str(v) for k, v in preset["query"].items()} == (
            query or {"year": str(today.year)}
        )
    context.update(form=form, presets=presets, opened_on=escrow.opened_on, today=today)
    if not form.is_valid():
        return render(request, "escrow/myfee/my_fee.html", context)

    date_from, date_to = form.cleaned_data["period"]
    allocation = fee_allocation(
        compound=compound, units=units, date_from=date_from, date_to=date_to, owner=request.user
    )
    rows = [
        {
            "label": row.label,
            "amount": format_yuan(row.amount),
            "percent": row.percent,
            "compound_spent": format_yuan(row.compound_spent),
        }
        for row in allocation.rows
    ]
    context.update(
        allocation=allocation,
        rows=rows,
        total=format_yuan(allocation.total),
        kept=format_yuan(allocation.kept),
        spent=format_yuan(allocation.spent),
        income=format_yuan(allocation.income),
        expenses=format_yuan(allocation.expenses),
    )
    return render(request, "escrow/myfee/my_fee.html", context)
