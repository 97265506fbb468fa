"""The dashboard pages, exports and the API: who gets what, bad input, 暂无数据."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from communities.models import AuditEvent
from street import services
from street.models import CompoundMonth, Flag, FlagStatus
from tests.escrow.ledger.helpers import open_escrow, pay_in, pay_out
from tests.pages.helpers import client_for
from tests.street.helpers import dashboard_for, other_office

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(world):
    dashboard = dashboard_for(world)
    open_escrow(world.a)
    pay_in(world.a, 1000_00)
    pay_out(world.a, 300_00)
    services.rollups_refresh(world.office, months=3)
    services.flags_refresh(world.office)
    return dashboard


def test_street_admin_and_inspector_see_every_compound_others_get_404(world, board):
    url = reverse("street:dashboard", args=[board.slug])
    for user in (world.street_admin, world.inspector):
        response = client_for(user).get(url)
        assert response.status_code == 200
        rows = [r.compound.slug for r in response.context["rows"]]
        assert rows == sorted(
            [world.a.slug, world.b.slug],
            key=lambda s: {world.a.slug: world.a.name, world.b.slug: world.b.name}[s],
        )
    for user in (world.committee, world.official, world.resident, world.staff, world.stranger):
        assert client_for(user).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302
    assert client_for(world.street_admin).get(reverse("street:dashboard", args=["nope"])).status_code == 404


def test_another_offices_admin_gets_404_page_and_api(world, board):
    _office, admin, theirs = other_office(world)
    assert client_for(admin).get(reverse("street:dashboard", args=[board.slug])).status_code == 404
    api = client_for(admin).get(reverse("api:street-dashboard", args=[board.slug]))
    assert api.status_code == 404
    assert set(api.json()) == {"message", "extra"}
    # …and ours cannot read theirs.
    assert (
        client_for(world.street_admin).get(reverse("street:dashboard", args=[theirs.slug])).status_code == 404
    )


def test_no_data_reads_not_yet_available_never_zero(world, board):
    response = client_for(world.street_admin).get(reverse("street:dashboard", args=[board.slug]))
    row_b = next(r for r in response.context["rows"] if r.compound == world.b)
    assert row_b.m.escrow_balance_fen is None  # B has no escrow account
    html = response.content.decode()
    assert "not yet available" in html
    row_a = next(r for r in response.context["rows"] if r.compound == world.a)
    assert row_a.m.escrow_balance_fen == 700_00
    assert row_a.settlement is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("color=red", "color"),
        ("month=2026-13", "month"),
        ("month=11/2026", "month"),
        ("sort=height", "sort"),
        ("month=2999-01", "month"),
        ("flagged=yes", "flagged"),
        ("community=abc", "community"),
        ("page=0", "page"),
    ],
)
def test_bad_filters_get_a_clear_error(world, board, query, field):
    page = client_for(world.inspector).get(reverse("street:dashboard", args=[board.slug]) + "?" + query)
    assert page.status_code == 400
    assert field in page.content.decode()
    api = client_for(world.inspector).get(reverse("api:street-dashboard", args=[board.slug]) + "?" + query)
    assert api.status_code == 400
    assert field in api.json()["extra"]["fields"]


def test_sort_and_filter(world, board):
    c = client_for(world.street_admin)
    url = reverse("street:dashboard", args=[board.slug])
    by_balance = c.get(url + "?sort=-balance").context["rows"]
    assert by_balance[0].compound == world.a  # B has no balance: last either way
    assert c.get(url + "?sort=balance").context["rows"][-1].compound == world.b
    only_b = c.get(url + f"?community={world.other_community.pk}").context["rows"]
    assert [r.compound for r in only_b] == [world.b]


def test_api_dashboard_rows_and_totals(world, board):
    body = client_for(world.inspector).get(reverse("api:street-dashboard", args=[board.slug])).json()
    assert body["totals"]["compounds"] == 2
    a = next(r for r in body["rows"] if r["compound"] == world.a.slug)
    assert a["escrow_balance_fen"] == 700_00
    assert a["settlement"] is None
    assert a["links"]["ledger"] == reverse("escrow:ledger", args=[world.a.slug])


def test_inspector_reads_but_cannot_decide_or_refresh(world, board):
    flag = Flag.objects.create(
        street_office=world.office,
        compound=world.a,
        kind="disclosure_late",
        key="t:1",
        raised_at=board.street_office.created_at,
        seen_at=board.street_office.created_at,
    )
    inspector = client_for(world.inspector)
    api = inspector.post(
        reverse("api:street-flag-decide", args=[board.slug, flag.pk]),
        {"decision": "dismissed", "reason": "x"},
        content_type="application/json",
    )
    assert api.status_code == 403
    assert (
        inspector.post(
            reverse("street:flag-decide", args=[board.slug, flag.pk]),
            {"decision": "dismissed", "reason": "x"},
        ).status_code
        == 404
    )
    assert inspector.post(reverse("street:refresh", args=[board.slug])).status_code == 404
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_admin_dismisses_with_a_reason_audited_and_without_one_refused(world, board):
    flag = Flag.objects.create(
        street_office=world.office,
        compound=world.a,
        kind="disclosure_late",
        key="t:2",
        raised_at=board.street_office.created_at,
        seen_at=board.street_office.created_at,
    )
    admin = client_for(world.street_admin)
    url = reverse("api:street-flag-decide", args=[board.slug, flag.pk])
    refused = admin.post(url, {"decision": "dismissed", "reason": "  "}, content_type="application/json")
    assert refused.status_code == 400
    assert "reason" in refused.json()["extra"]["fields"]
    ok = admin.post(url, {"decision": "dismissed", "reason": "已电话核实"}, content_type="application/json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["status"] == "dismissed"
    event = AuditEvent.objects.filter(action="street.flag_dismissed").get()
    assert event.after["reason"] == "已电话核实"
    # Another office's admin cannot reach it at all.
    _o, other_admin, _d = other_office(world)
    assert (
        client_for(other_admin)
        .post(url, {"decision": "acknowledged", "reason": "x"}, content_type="application/json")
        .status_code
        == 404
    )


def test_exports_csv_xlsx_pdf(world, board):
    c = client_for(world.street_admin)
    body = c.get(reverse("street:export", args=[board.slug, "csv"])).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "Compound"
    assert len(rows) == 4  # header, A, B, totals
    assert all(len(r) == len(rows[0]) for r in rows)
    xlsx = c.get(reverse("street:export", args=[board.slug, "xlsx"]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pdf = c.get(reverse("street:export", args=[board.slug, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert c.get(reverse("street:export", args=[board.slug, "exe"])).status_code == 404
    assert c.get(reverse("street:export", args=[board.slug, "csv"]) + "?month=bad").status_code == 400


def test_csv_cells_are_spreadsheet_safe(world, board):
    world.a.name = "=HYPERLINK(1)"
    world.a.save()
    body = (
        client_for(world.street_admin)
        .get(reverse("street:export", args=[board.slug, "csv"]))
        .content.decode("utf-8-sig")
    )
    assert "'=HYPERLINK(1)" in body


def test_charts_page_draws_svg_with_its_table(world, board):
    page = client_for(world.inspector).get(reverse("street:charts", args=[board.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "<polyline" in html and "<table" in html


def test_refresh_time_is_on_the_page(world, board):
    html = client_for(world.inspector).get(reverse("street:dashboard", args=[board.slug])).content.decode()
    board.refresh_from_db()
    assert board.rollups_refreshed_at is not None
    assert "Figures refreshed at" in html
    assert CompoundMonth.objects.filter(compound=world.a).count() == 3


def test_the_street_admins_home_links_the_dashboard_in_one_tap(world, board):
    html = client_for(world.street_admin).get(reverse("home")).content.decode()
    assert f'href="{reverse("street:dashboard", args=[board.slug])}"' in html
    assert "data-street-dashboard" not in client_for(world.committee).get(reverse("home")).content.decode()


def test_the_page_speaks_chinese_by_default(world, board, settings):
    from django.utils import translation

    with translation.override("zh-hans"):
        html = (
            client_for(world.inspector)
            .get(reverse("street:dashboard", args=[board.slug]), HTTP_ACCEPT_LANGUAGE="zh-hans")
            .content.decode()
        )
    assert "街道看板" in html and "暂无数据" in html


def test_the_home_link_tag_lists_only_the_persons_offices(world, board):
    from django.template import Context, Template

    template = Template(
        "{% load street_tags %}{% street_dashboards user as boards %}{% for b in boards %}{{ b.slug }};{% endfor %}"
    )
    assert template.render(Context({"user": world.street_admin})) == f"{board.slug};"
    assert template.render(Context({"user": world.inspector})) == f"{board.slug};"
    assert template.render(Context({"user": world.committee})) == ""


def test_rows_come_a_page_at_a_time_sorted_in_the_database(world, board):
    from street.selectors import PAGE_SIZE
    from tests.street.helpers import more_compounds

    more_compounds(world, PAGE_SIZE)  # 2 + PAGE_SIZE compounds: two pages
    c = client_for(world.street_admin)
    url = reverse("street:dashboard", args=[board.slug])
    first = c.get(url + "?sort=-balance")
    assert first.context["pages"] == 2 and len(first.context["rows"]) == PAGE_SIZE
    assert first.context["rows"][0].compound == world.a  # the only balance; no data sorts last
    second = c.get(url + "?sort=-balance&page=2").context["rows"]
    names = {r.compound.pk for r in first.context["rows"]} | {r.compound.pk for r in second}
    assert len(names) == PAGE_SIZE + 2
    assert first.context["totals"].compounds == PAGE_SIZE + 2


def test_the_pdf_brief_is_one_a4_page(world, board):
    import shutil
    import subprocess

    if not shutil.which("pdfinfo"):
        pytest.skip("needs poppler-utils (pdfinfo)")
    body = client_for(world.street_admin).get(reverse("street:export", args=[board.slug, "pdf"])).content
    info = subprocess.run(["pdfinfo", "-"], input=body, capture_output=True, check=True).stdout.decode()
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    assert "(A4)" in info
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=body, capture_output=True, check=True
        ).stdout.decode()
        assert "月度简报" in text and "管理资金" in text


def test_api_flags_list_with_evidence_and_link(world, settings, tmp_path):
    from tests.escrow.payouts.helpers import file_payout, prepare

    prepare(world, settings, tmp_path)
    dashboard = dashboard_for(world)
    file_payout(world, amount_fen=30_000_00)
    file_payout(world, amount_fen=30_000_00)
    services.flags_refresh(world.office)
    body = client_for(world.inspector).get(reverse("api:street-flags", args=[dashboard.slug])).json()
    split = [f for f in body if f["kind"] == "split_payouts"]
    assert len(split) == 1
    assert split[0]["evidence"]["total_fen"] == 60_000_00
    assert split[0]["link"] == reverse(
        "escrow:payout-detail", args=[world.a.slug, split[0]["evidence"]["payout_pk"]]
    )
    bad = client_for(world.inspector).get(reverse("api:street-flags", args=[dashboard.slug]) + "?colour=red")
    assert bad.status_code == 400 and "colour" in bad.json()["extra"]["fields"]


def test_the_rows_escape_what_people_typed_and_read_the_same_as_the_api(world, board):
    """The rows are written by one tag (street_tags.dashboard_rows), not the template
    engine: a compound's name is escaped all the same, and the cells say what the API says."""
    from communities.models import Compound

    Compound.objects.filter(pk=world.a.pk).update(name='<script>alert("x")</script>&')
    c = client_for(world.street_admin)
    html = c.get(reverse("street:dashboard", args=[board.slug])).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in html
    api = c.get(reverse("api:street-dashboard", args=[board.slug])).json()
    row = next(r for r in api["rows"] if r["compound"] == world.a.slug)
    cells = re.search(rf'<tr data-compound="{world.a.slug}">(.*?)</tr>', html, re.S)[1]
    for link in row["links"].values():  # every figure links to the page it comes from
        assert f'href="{link}"' in cells
    assert f'href="/c/{world.a.slug}/settlements/"' in cells
    rate = row["collection_rate"]
    assert (f"{rate}%" if rate is not None else "not yet available") in cells


def test_a_page_past_the_last_shows_the_last(world, board):
    c = client_for(world.street_admin)
    response = c.get(reverse("street:dashboard", args=[board.slug]) + "?page=99")
    assert response.status_code == 200
    assert response.context["page"] == 1 and len(response.context["rows"]) == 2
