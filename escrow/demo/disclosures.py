"""Demo disclosures: every quarter that has ended since a pilot's escrow account opened
(2025 Q4 onwards) is disclosed — built and published by the compound's community
official through ``escrow.transparency.services`` — so the public page lists them and
each has its JSON, CSV, HTML and PDF (in the site's default language, Chinese).

Run after the payouts (escrow/demo/payouts.py): building a disclosure closes the books
through the quarter's end, and from then on nothing can be posted in it. Built now, over
the chain as it stands (the disclosures are not back-dated, unlike the payouts).
Idempotent: a quarter already published is left alone; one left pending or half-built by
an interrupted run is built on; the members' notification of a publication stays in the
inbox but is not e-mailed.
"""

from __future__ import annotations

import sys
import time

from django.utils import timezone

from common.periods import ended_quarters
from communities.models import Compound
from escrow.demo.fees import SLUGS
from escrow.demo.payouts import official_of, quietly
from escrow.models import DisclosureStatus, EscrowAccount
from escrow.transparency.services import disclosure_build, disclosure_ensure, disclosure_publish


def seed_disclosures_demo(*, stdout=None) -> dict:
    """Build and publish every ended quarter of every pilot. Returns {slug: (published,
    new)}; prints one line per compound."""
    out = stdout or sys.stdout
    started = time.perf_counter()
    today = timezone.localdate()
    summary = {}
    for slug in SLUGS:
        compound = Compound.objects.filter(slug=slug).select_related("community").first()
        escrow = EscrowAccount.objects.filter(compound=compound).first() if compound else None
        if escrow is None:
            out.write(f"  disclosures demo: no compound “{slug}” with an escrow account, skipped\n")
            continue
        official = official_of(compound)
        if official is None:
            out.write(f"  disclosures {compound.name}: skipped (no community official to publish)\n")
            continue
        published, new, waiting = [], 0, []
        with quietly():
            for year, quarter in ended_quarters(escrow.opened_on, today):
                disclosure, _created = disclosure_ensure(compound=compound, year=year, quarter=quarter)
                if disclosure.status in (DisclosureStatus.PENDING, DisclosureStatus.BUILDING):
                    disclosure = disclosure_build(disclosure.pk) or disclosure
                    disclosure.refresh_from_db()
                if disclosure.status == DisclosureStatus.READY:
                    disclosure = disclosure_publish(disclosure=disclosure, actor=official)
                    new += 1
                if disclosure.status == DisclosureStatus.PUBLISHED:
                    published.append(f"{year}Q{quarter}")
                else:  # another run holds the build (its claim is fresh): left for later
                    waiting.append(f"{year}Q{quarter}")
        summary[slug] = (len(published), new)
        note = f"  still building: {', '.join(waiting)}" if waiting else ""
        out.write(
            f"  disclosures {compound.name:<6} published {len(published)} "
            f"({', '.join(published) or '—'}), {new} new{note}\n"
        )
    out.write(f"  disclosures demo: {time.perf_counter() - started:.1f}s\n")
    return summary
