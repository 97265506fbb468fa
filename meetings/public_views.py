"""Public pages (/c/<slug>/meetings/public/…): published minutes, resolutions, topics'
status and counted owners' votes. Anyone, no login. Nothing names an owner: topics show
the party that raised them, votes list units masked with their receipt keys."""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from communities.models import Compound
from meetings import selectors
from meetings.models import THREE_PARTIES


def _compound(slug) -> Compound:
    return get_object_or_404(Compound.objects.select_related("community"), slug=slug)


@require_GET
def public_index(request, slug):
    compound = _compound(slug)
    section = selectors.public_section(compound, limit=100)
    citing = selectors.payouts_citing(compound, [r.number for r in section.resolutions])
    for resolution in section.resolutions:
        resolution.payouts = citing.get(resolution.number, [])
    return render(
        request,
        "meetings/public_index.html",
        {
            "compound": compound,
            "section": section,
            "topics": selectors.public_topics(compound)[:200],
            "votes": selectors.public_votes(compound),
        },
    )


@require_GET
def public_meeting(request, slug, pk):
    compound = _compound(slug)
    meeting = selectors.public_meeting(compound, pk)
    return render(
        request,
        "meetings/public_meeting.html",
        {
            "compound": compound,
            "meeting": meeting,
            "agenda": selectors.agenda_of(meeting),
            "parties": sorted({row.party for row in meeting.attendance.filter(present=True)}),
            "present": meeting.attendance.filter(present=True).count(),
            "confirmations": meeting.confirmations.all(),
            "three": THREE_PARTIES,
        },
    )


@require_GET
def public_topic(request, slug, pk):
    compound = _compound(slug)
    topic = selectors.public_topic(compound, pk)
    items = topic.agenda_items.filter(meeting__status="published").select_related("meeting")
    return render(
        request,
        "meetings/public_topic.html",
        {
            "compound": compound,
            "topic": topic,
            "agenda_items": items.prefetch_related("resolutions__action_items"),
        },
    )


@require_GET
def public_vote_result(request, slug, pk):
    """The frozen canonical result; tools/verify_vote.py recomputes its digest and count."""
    compound = _compound(slug)
    vote = selectors.public_votes(compound).filter(pk=pk).first()
    if vote is None:
        raise Http404
    return JsonResponse(vote.result, json_dumps_params={"ensure_ascii": False, "sort_keys": True})
