"""Reads of quarterly disclosures (季度公示) for the disclosure pages and the public
compound page.

Who sees what: a *published* disclosure is public (no log-in); one that is pending,
building or ready is seen only by those who may publish it
(``Capability.PUBLISH_DISCLOSURE``); to everyone else it does not exist (404).

Every list here leaves out the heavy columns — the frozen figures and the files'
bytes — and is bounded by the number of quarters a compound has disclosed (four a
year plus corrections), never by the size of the journal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from common.periods import quarter_end
from communities.models import Compound
from communities.permissions import Capability, Standing
from escrow.models import PUBLISH_WITHIN_DAYS, Disclosure, DisclosureFile, DisclosureFormat, DisclosureStatus

# Files in the order a reader wants them: the printable one first.
FORMAT_ORDER = (DisclosureFormat.PDF, DisclosureFormat.HTML, DisclosureFormat.CSV, DisclosureFormat.JSON)
# A quarter's disclosure should be published within this many days of its end.
PUBLIC_PAGE_LATEST = 4


def may_manage_disclosures(standing: Standing | None) -> bool:
    return standing is not None and standing.can(Capability.PUBLISH_DISCLOSURE)


def _files_prefetch() -> Prefetch:
    # Never the bytes: a list page shows sizes and hashes only.
    return Prefetch("files", queryset=DisclosureFile.objects.defer("content").order_by("format"))


def _light(queryset: QuerySet[Disclosure]) -> QuerySet[Disclosure]:
    """Without the frozen figures, with the files' metadata."""
    return (
        queryset.select_related("compound").defer("figures", "last_error").prefetch_related(_files_prefetch())
    )


def sorted_files(disclosure: Disclosure) -> list[DisclosureFile]:
    """The disclosure's prefetched files, PDF first (one query if not prefetched)."""
    rank = {fmt: i for i, fmt in enumerate(FORMAT_ORDER)}
    return sorted(disclosure.files.all(), key=lambda f: rank.get(f.format, len(rank)))


@dataclass
class QuarterDisclosures:
    """One quarter: the version in force and the versions it replaced (newest first)."""

    year: int
    quarter: int
    current: Disclosure
    superseded: list[Disclosure] = field(default_factory=list)
    # Officials' list only: ended more than 15 days ago and nothing published.
    overdue: bool = False

    @property
    def period_end(self) -> dt.date:
        return quarter_end(self.year, self.quarter)

    @property
    def versions(self) -> list[Disclosure]:
        return [self.current, *self.superseded]


def _grouped(disclosures) -> list[QuarterDisclosures]:
    """Rows ordered newest quarter first, newest version first → one group per quarter."""
    groups: list[QuarterDisclosures] = []
    for disclosure in disclosures:
        if groups and (groups[-1].year, groups[-1].quarter) == (disclosure.year, disclosure.quarter):
            groups[-1].superseded.append(disclosure)
        else:
            groups.append(
                QuarterDisclosures(year=disclosure.year, quarter=disclosure.quarter, current=disclosure)
            )
    return groups


_NEWEST_FIRST = ("-year", "-quarter", "-version")


def public_disclosures(compound: Compound) -> list[QuarterDisclosures]:
    """Published disclosures, newest quarter first; in each quarter the newest published
    version is the one in force and the older ones stay listed as superseded."""
    rows = _light(
        Disclosure.objects.filter(compound=compound, status=DisclosureStatus.PUBLISHED).order_by(
            *_NEWEST_FIRST
        )
    )
    return _grouped(rows)


def latest_published(compound: Compound, n: int = PUBLIC_PAGE_LATEST) -> list[Disclosure]:
    """The version in force of the ``n`` most recent published quarters."""
    # A quarter rarely has more than a couple of versions; read a few rows more than
    # needed and keep the newest of each quarter.
    rows = _light(
        Disclosure.objects.filter(compound=compound, status=DisclosureStatus.PUBLISHED).order_by(
            *_NEWEST_FIRST
        )[: n * 4]
    )
    return [group.current for group in _grouped(rows)][:n]


def official_disclosures(compound: Compound, *, today: dt.date | None = None) -> list[QuarterDisclosures]:
    """Every disclosure of the compound whatever its status, for those who publish them.
    A quarter is *overdue* when it ended more than 15 days ago and none of its versions
    is published."""
    today = today or timezone.localdate()
    groups = _grouped(_light(Disclosure.objects.filter(compound=compound)).order_by(*_NEWEST_FIRST))
    limit = today - dt.timedelta(days=PUBLISH_WITHIN_DAYS)
    for group in groups:
        published = any(d.status == DisclosureStatus.PUBLISHED for d in group.versions)
        group.overdue = not published and group.period_end < limit
    return groups


def disclosure_get(
    *,
    compound: Compound,
    year: int,
    quarter: int,
    version: int,
    standing: Standing | None,
    figures: bool = True,
) -> Disclosure:
    """One disclosure with its figures (unless ``figures=False``) and its files' metadata,
    or ``Http404``: missing, or not published and the reader may not publish it."""
    queryset = Disclosure.objects.filter(compound=compound, year=year, quarter=quarter, version=version)
    if not figures:
        queryset = queryset.defer("figures")
    if not may_manage_disclosures(standing):
        queryset = queryset.filter(status=DisclosureStatus.PUBLISHED)
    disclosure = queryset.select_related("compound").prefetch_related(_files_prefetch()).first()
    if disclosure is None:
        raise Http404
    return disclosure


def quarter_versions(
    *, compound: Compound, year: int, quarter: int, standing: Standing | None
) -> list[Disclosure]:
    """The versions of one quarter the reader may see, newest first (without figures)."""
    queryset = Disclosure.objects.filter(compound=compound, year=year, quarter=quarter)
    if not may_manage_disclosures(standing):
        queryset = queryset.filter(status=DisclosureStatus.PUBLISHED)
    return list(queryset.defer("figures", "last_error").order_by("-version"))


def disclosure_file_get(disclosure: Disclosure, fmt: str) -> DisclosureFile | None:
    """The rendered file of one format, bytes included."""
    if fmt not in DisclosureFormat.values:
        return None
    return DisclosureFile.objects.filter(disclosure=disclosure, format=fmt).first()
