"""The street office's settlement policy: versioned; each save is a new version."""

from __future__ import annotations

from itertools import pairwise

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from common.errors import PermissionDeniedError
from communities.audit import audit_record
from communities.models import Role, StreetOffice
from communities.permissions import active_memberships
from settlements.figures import field_error
from settlements.models import DEFAULT_BANDS, DEFAULT_RESERVE_MONTHS, ScoreRule, SettlementPolicy


def policy_in_force(street_office: StreetOffice) -> SettlementPolicy:
    """The newest version; the default policy (version 1) is created on first use."""
    policy = SettlementPolicy.objects.filter(street_office=street_office).order_by("-version").first()
    if policy is not None:
        return policy
    try:
        with transaction.atomic():
            return SettlementPolicy.objects.create(
                street_office=street_office,
                version=1,
                bands=DEFAULT_BANDS,
                reserve_months=DEFAULT_RESERVE_MONTHS,
                score_rule=ScoreRule.MEAN_CLOSED_ROUNDS,
            )
    except IntegrityError:
        return SettlementPolicy.objects.get(street_office=street_office, version=1)


def is_street_admin(user, street_office: StreetOffice) -> bool:
    return active_memberships(user).filter(role=Role.STREET_ADMIN, street_office=street_office).exists()


def clean_bands(bands) -> list[dict]:
    """Whole-point bands covering 0–100 exactly once, each with a rate of 0–100 %.
    Refused naming the field ``bands`` (and the band) when they overlap or leave a gap."""
    if not isinstance(bands, list) or not bands:
        raise field_error("bands", _("bands: give at least one score band."))
    out = []
    for index, band in enumerate(bands, start=1):
        try:
            low, high, rate = int(band["low"]), int(band["high"]), int(band["rate"])
            renew = bool(band.get("renew", True))
        except (KeyError, TypeError, ValueError):
            raise field_error(
                "bands", _("bands: band %(n)s needs a low score, a high score and a rate.") % {"n": index}
            ) from None
        if not (0 <= low <= high <= 100):
            raise field_error(
                "bands",
                _("bands: band %(n)s must run from a lower to a higher score within 0–100.") % {"n": index},
            )
        if not 0 <= rate <= 100:
            raise field_error("bands", _("bands: band %(n)s's rate must be 0–100 %%.") % {"n": index})
        out.append({"low": low, "high": high, "rate": rate, "renew": renew})
    ordered = sorted(out, key=lambda b: b["low"])
    if ordered[0]["low"] != 0:
        raise field_error("bands", _("bands: no band covers scores 0–%(h)s.") % {"h": ordered[0]["low"] - 1})
    for before, after in pairwise(ordered):
        if after["low"] <= before["high"]:
            raise field_error(
                "bands",
                _("bands: %(a)s–%(b)s overlaps %(c)s–%(d)s.")
                % {"a": before["low"], "b": before["high"], "c": after["low"], "d": after["high"]},
            )
        if after["low"] > before["high"] + 1:
            raise field_error(
                "bands",
                _("bands: no band covers scores %(a)s–%(b)s.")
                % {"a": before["high"] + 1, "b": after["low"] - 1},
            )
    if ordered[-1]["high"] != 100:
        raise field_error(
            "bands", _("bands: no band covers scores %(a)s–100.") % {"a": ordered[-1]["high"] + 1}
        )
    return sorted(ordered, key=lambda b: -b["low"])


@transaction.atomic(durable=True)
def policy_save(*, street_office: StreetOffice, actor, bands, reserve_months) -> SettlementPolicy:
    """A new version of the policy (street-office admins only)."""
    if not is_street_admin(actor, street_office):
        raise PermissionDeniedError(_("Only the street office's admins set the settlement policy."))
    bands = clean_bands(bands)
    try:
        reserve_months = int(reserve_months)
    except (TypeError, ValueError):
        raise field_error("reserve_months", _("reserve_months: give a whole number of months.")) from None
    if not 0 <= reserve_months <= 12:
        raise field_error("reserve_months", _("reserve_months: between 0 and 12 months."))
    StreetOffice.objects.select_for_update().get(pk=street_office.pk)
    current = (
        SettlementPolicy.objects.filter(street_office=street_office).aggregate(v=Max("version"))["v"] or 0
    )
    policy = SettlementPolicy.objects.create(
        street_office=street_office,
        version=current + 1,
        bands=bands,
        reserve_months=reserve_months,
        score_rule=ScoreRule.MEAN_CLOSED_ROUNDS,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="settlement_policy.save",
        obj=policy,
        after={"version": policy.version, "bands": bands, "reserve_months": reserve_months},
    )
    return policy
