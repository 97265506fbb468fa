"""Shared helpers for page tests."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from communities import selectors
from communities.forms import DUTY_FORMSET_PREFIX
from communities.models import Compound


def client_for(user) -> Client:
    """A test client logged in as ``user`` (anonymous when None)."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def page_urls(compound: Compound) -> dict[str, str]:
    """Every page about one compound, by a name the matrix prints on failure."""
    return {
        "public": reverse("compound-public", args=[compound.slug]),
        "members": reverse("compound-members", args=[compound.slug]),
        "duties_edit": reverse("compound-duties-edit", args=[compound.slug]),
    }


def duty_post_data(compound: Compound, *, reason: str = "联席会议决定调整", extra_rows: int = 1) -> dict:
    """The revision form as the browser would submit it unchanged: the current list
    plus ``extra_rows`` blank rows."""
    current = selectors.current_duty_list(compound)
    duties = list(current.duties.all())
    p = DUTY_FORMSET_PREFIX
    data = {
        f"{p}-TOTAL_FORMS": str(len(duties) + extra_rows),
        f"{p}-INITIAL_FORMS": str(len(duties)),
        f"{p}-MIN_NUM_FORMS": "0",
        f"{p}-MAX_NUM_FORMS": "1000",
        "reason": reason,
        "based_on": str(current.version),
    }
    for i, duty in enumerate(duties):
        data[f"{p}-{i}-number"] = str(duty.number)
        data[f"{p}-{i}-title"] = duty.title
        data[f"{p}-{i}-description"] = duty.description
        data[f"{p}-{i}-cadence"] = duty.cadence
        for flag in ("by_community", "by_committee", "by_company"):
            if getattr(duty, flag):
                data[f"{p}-{i}-{flag}"] = "on"
    for j in range(len(duties), len(duties) + extra_rows):
        data[f"{p}-{j}-number"] = ""
        data[f"{p}-{j}-title"] = ""
        data[f"{p}-{j}-description"] = ""
        data[f"{p}-{j}-cadence"] = ""
    return data
