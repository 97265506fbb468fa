"""Demo disclosures: every quarter that has ended since a pilot's escrow account opened
(2025 Q4 onwards) is disclosed — built and published by the compound's community
official through ``escrow.transparency.services`` — so the public page lists them and
each has its JSON, CSV, HTML and PDF (in the site's default language, Chinese).

Run after the payouts (escrow/demo/payouts.py): building a disclosure closes the books
through the quarter's end, and from then on nothing can be posted in it. Built now, over
the chain as it stands; then the demo dates them as the year went: each quarter requested
(``created_at``) and published (``published_at``) a few days after it ended (3–9 days,
the same for a compound and quarter on every run; one whose day has not come yet keeps
its real time). Neither column
is hashed, signed or printed in a file (the street's "disclosure late" reads
``published_at``, so the history shows them on time). ``generated_at`` is left as it is:
it is printed in the stored, hashed files. The publication's audit event keeps its real
time (the audit log is append-only).
Idempotent: a quarter already published is left alone (its dates are set to the same
values again); one left pending or half-built by an interrupted run is built on; the
members' notification of a publication stays in the inbox but is not e-mailed.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
import zlib

from django.utils import timezone

from common.periods import ended_quarters, quarter_end
from communities.models import Compound
from escrow.demo.fees import SLUGS
from escrow.demo.payouts import official_of, quietly
from escrow.models import Disclosure, DisclosureStatus, EscrowAccount
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
                    _date_as_published(disclosure, slug)
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


def published_on(slug: str, year: int, quarter: int) -> dt.datetime:
    """When the demo says a quarter was published: 3–9 days after it ended, mid-morning
    (deterministic per compound and quarter)."""
    rng = zlib.crc32(f"disclosure:{slug}:{year}Q{quarter}".encode())
    day = quarter_end(year, quarter) + dt.timedelta(days=3 + rng % 7)
    when = timezone.make_aware(dt.datetime.combine(day, dt.time(9 + rng % 3, rng // 7 % 60)))
    return when


def _date_as_published(disclosure: Disclosure, slug: str) -> None:
    published = published_on(slug, disclosure.year, disclosure.quarter)
    if published > timezone.now():
        return
    Disclosure.objects.filter(pk=disclosure.pk).update(
        created_at=published - dt.timedelta(hours=2), published_at=published
    )
