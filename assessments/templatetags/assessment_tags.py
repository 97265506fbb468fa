"""Labels for a frozen result (the result stores codes; pages show words)."""

from django import template
from django.utils.translation import gettext as _

from assessments.models import ScoringParty

register = template.Library()

COMPONENT_LABELS = {
    "repairs_on_time": lambda: _("Repairs fixed on time"),
    "repair_rating": lambda: _("Owners' rating of repairs"),
    "duties_checked": lambda: _("Company duties with a check recorded"),
    "disclosure_on_time": lambda: _("Quarterly disclosure on time"),
}


@register.filter
def component_label(key: str) -> str:
    label = COMPONENT_LABELS.get(key)
    return label() if label else key


@register.filter
def parties(result: dict) -> list[dict]:
    """One row per party: label, weight, the weight it counted with, score, a note."""
    rows = []
    scorers = result.get("scorers", {})
    survey = result.get("survey", {})
    for party in ScoringParty:
        weight = result["weights"].get(party.value, 0)
        note = ""
        if party.value in scorers:
            s = scorers[party.value]
            note = _("%(m)s of %(n)s scorers scored") % {"m": s["scored"], "n": s["fixed"]}
        elif party.value == "survey":
            note = _("%(a)s answers from %(u)s units; mean %(r)s of 5") % {
                "a": survey.get("answers", 0),
                "u": survey.get("units", 0),
                "r": survey.get("mean_rating") or "—",
            }
        effective = result.get("effective_weights", {}).get(party.value)
        rows.append(
            {
                "label": party.label,
                "weight": weight,
                "weight_text": f"{weight}.00",
                "effective": effective,
                "score": result["parties"].get(party.value),
                "note": note,
            }
        )
    return rows


EVENT_LABELS = {
    "reported": lambda: _("Reported"),
    "accepted": lambda: _("Accepted by the staff"),
    "started": lambda: _("Work started"),
    "done": lambda: _("Marked fixed"),
    "confirmed": lambda: _("Confirmed and rated"),
    "reopened": lambda: _("Reopened: not fixed"),
    "reminded": lambda: _("Reminder sent to the staff"),
    "escalated": lambda: _("Overdue: escalated to the community"),
}


@register.filter
def event_label(action: str) -> str:
    label = EVENT_LABELS.get(action)
    return label() if label else action


@register.filter
def component_formula(component: dict) -> str:
    """The formula beside an objective figure, in the reader's language, from the
    frozen numbers (the result also keeps the text written when it closed)."""
    from fractions import Fraction

    from assessments.scoring import round2

    try:
        a, b = Fraction(component["numerator"]), Fraction(component["denominator"])
    except (KeyError, ValueError, ZeroDivisionError):
        return component.get("formula", "")
    key, score = component.get("key"), component.get("score")
    if key == "repairs_on_time":
        return _("%(a)s fixed within the time limit ÷ %(b)s reported in the period × 100 = %(s)s") % {
            "a": a,
            "b": b,
            "s": score,
        }
    if key == "repair_rating":
        return _("mean rating %(m)s of 5 (%(n)s ratings) × 20 = %(s)s") % {
            "m": round2(a / b),
            "n": b,
            "s": score,
        }
    if key == "duties_checked":
        return _("%(a)s of the company's %(b)s duties with a check recorded ÷ %(b)s × 100 = %(s)s") % {
            "a": a,
            "b": b,
            "s": score,
        }
    if key == "disclosure_on_time":
        return _("published within 15 days of the quarter's end: %(yes)s → %(s)s") % {
            "yes": _("yes") if a else _("no"),
            "s": score,
        }
    return component.get("formula", "")
