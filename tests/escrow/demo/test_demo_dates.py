"""The demo's dates tell the year's story: disclosures published in the days after each
quarter, bank statements imported in the days after their month — and a second run
changes nothing."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone

from common.periods import add_months, quarter_end
from communities.models import Compound
from communities.testing import make_world
from escrow.demo.disclosures import seed_disclosures_demo
from escrow.demo.fees import BANK, seed_escrow_demo
from escrow.models import Disclosure, DisclosureStatus, StatementImport


def _stamps():
    disclosures = sorted(
        Disclosure.objects.values_list("pk", "year", "quarter", "status", "created_at", "published_at")
    )
    imports = sorted(StatementImport.objects.values_list("pk", "file_name", "created_at"))
    return disclosures, imports


def test_disclosures_and_imports_are_dated_after_their_period(db):
    world = make_world()
    Compound.objects.filter(pk=world.a.pk).update(slug="shangcheng")
    seed_escrow_demo(stdout=io.StringIO())
    seed_disclosures_demo(stdout=io.StringIO())
    today = timezone.localdate()

    disclosures = Disclosure.objects.filter(compound=world.a)
    assert disclosures.count() >= 3  # 2025Q4 onwards
    for d in disclosures:
        assert d.status == DisclosureStatus.PUBLISHED
        end = quarter_end(d.year, d.quarter)
        published = timezone.localtime(d.published_at).date()
        assert end < published <= end + dt.timedelta(days=15), (d.year, d.quarter, published)
        assert d.created_at < d.published_at

    imports = StatementImport.objects.filter(compound=world.a)
    assert imports.exists()
    for record in imports:
        month = dt.datetime.strptime(record.file_name.removeprefix(f"{BANK}-shangcheng-")[:6], "%Y%m").date()
        after = add_months(month, 1)
        stamped = timezone.localtime(record.created_at).date()
        if add_months(after, 1) <= today:  # a month whose following month is over
            assert after <= stamped < add_months(after, 1), (record.file_name, stamped)
        else:
            assert month <= stamped <= today

    before = _stamps()
    seed_escrow_demo(stdout=io.StringIO())
    seed_disclosures_demo(stdout=io.StringIO())
    assert _stamps() == before
