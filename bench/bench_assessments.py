"""Assessments: closing a round with 5,000 survey answers (time and query count), and
the public score page against a bare view reading the same totals, in the same run.

The 5,000 units, owners and answers are written in bulk (volume for a read benchmark:
5,000 ``survey_answer`` calls would measure the audit trail, not the closing); the five
score sheets go through ``score_submit`` and the closing through ``round_close``. The
public page shows eight published rounds (two years), each opened, scored, closed and
signed off through the services.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from collections.abc import Callable

ANSWERS = 5_000
PAGE_REQUESTS = 40


def _setup_django() -> None:
    import django
    from django.apps import apps

    if apps.ready:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    django.setup()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def bare_scores(request, slug):
    """The baseline: a Django view reading the published totals and writing them out."""
    from django.http import HttpResponse

    from assessments.models import AssessmentRound

    rows = AssessmentRound.objects.filter(compound__slug=slug, status="published").values_list(
        "year", "quarter", "total"
    )
    return HttpResponse("\n".join(f"{y} Q{q}\t{t}" for y, q, t in rows))


def __getattr__(name):
    # This module is also the URLconf of the page benchmark (settings.ROOT_URLCONF).
    if name == "urlpatterns":
        from django.urls import include, path

        return [path("bench/bare-scores/<slug:slug>/", bare_scores), path("", include("config.urls"))]
    raise AttributeError(name)


def _survey_volume(world, rnd) -> None:
    from accounts.models import User
    from assessments.models import SurveyAnswer
    from communities.models import Building, Unit, UnitOwnership

    building = Building.objects.create(compound=world.a, name="基准楼")
    units = Unit.objects.bulk_create(
        Unit(
            compound=world.a,
            building=building,
            entrance=str(i // 500 + 1),
            number=str(1000 + i),
            floor_area=90,
        )
        for i in range(ANSWERS)
    )
    users = User.objects.bulk_create(
        User(username=f"bench-owner-{i}", phone=f"+86137{i:08d}", display_name=f"业主{i}")
        for i in range(ANSWERS)
    )
    UnitOwnership.objects.bulk_create(
        UnitOwnership(compound=world.a, unit=u, user=p, start_date=dt.date(2020, 1, 1))
        for u, p in zip(units, users, strict=True)
    )
    SurveyAnswer.objects.bulk_create(
        SurveyAnswer(round=rnd, compound=world.a, unit=u, answered_by=p, rating=1 + i % 5)
        for i, (u, p) in enumerate(zip(units, users, strict=True))
    )


def _sheet(rnd, share: float):
    from decimal import Decimal

    from assessments.models import TemplateItem

    return {
        item.pk: {
            "points": str((Decimal(item.max_points) * Decimal(str(share))).quantize(Decimal("0.5"))),
            "comment": "ok",
        }
        for item in TemplateItem.objects.filter(template=rnd.template)
    }


def _closing(world) -> dict:
    from django.db import connection

    from assessments import services

    rnd = services.round_open(compound=world.a, year=2026, quarter=3, actor=world.official)
    _survey_volume(world, rnd)
    for user in (world.official, world.inspector, world.committee, world.committee2):
        services.score_submit(round=rnd, actor=user, scores=_sheet(rnd, 0.9))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    queries: list[str] = []
    start = time.perf_counter()
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        services.round_close(round=rnd, actor=world.official)
    elapsed = time.perf_counter() - start
    rnd.refresh_from_db()
    assert rnd.result["survey"]["answers"] == ANSWERS, rnd.result["survey"]
    return {"seconds": elapsed, "queries": len(queries), "total": rnd.total}


def _publish_history(world) -> None:
    from django.utils import timezone

    from accounts.stepup import SecondFactor
    from assessments import services

    for year in (2024, 2025):
        for quarter in (1, 2, 3, 4):
            rnd = services.round_open(compound=world.a, year=year, quarter=quarter, actor=world.official)
            for user in (world.official, world.inspector, world.committee, world.committee2, world.chair):
                services.score_submit(
                    round=rnd, actor=user, scores=_sheet(rnd, 0.6 + 0.04 * quarter + 0.1 * (year - 2024))
                )
            for user in (world.chair, world.official):
                services.round_signoff(
                    round=rnd, actor=user, second_factor=SecondFactor("totp", timezone.now())
                )


def _page_timings(client, url: str) -> tuple[list[float], int]:
    from django.db import connection

    for _warm in range(3):
        assert client.get(url).status_code == 200
    queries: list[str] = []
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        client.get(url)
    timings = []
    for _i in range(PAGE_REQUESTS):
        start = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200
    return timings, len(queries)


def _public_page(world) -> dict:
    from django.test import Client, override_settings

    _publish_history(world)
    client = Client()
    with override_settings(ROOT_URLCONF=__name__):
        page, page_queries = _page_timings(client, f"/c/{world.a.slug}/assessments/")
        bare, bare_queries = _page_timings(client, f"/bench/bare-scores/{world.a.slug}/")
    return {
        "page_p50": statistics.median(page),
        "bare_p50": statistics.median(bare),
        "page_queries": page_queries,
        "bare_queries": bare_queries,
    }


def run(report: Callable[[str, str], None]) -> None:
    _setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        report("assessments", "skipped: needs PostgreSQL (DATABASE_URL=postgres://…)")
        return
    from communities.testing import make_world

    closing = _closing(make_world())
    report(f"round close, {ANSWERS:,} survey answers: time", _ms(closing["seconds"]))
    report(f"round close, {ANSWERS:,} survey answers: queries", str(closing["queries"]))
    page = _public_page(make_world())
    report("public score page, 8 published rounds: p50", _ms(page["page_p50"]))
    report("public score page: queries", str(page["page_queries"]))
    report("bare totals view: p50", _ms(page["bare_p50"]))
    report("public score page / bare (p50)", f"{page['page_p50'] / page['bare_p50']:.1f}×")


def main() -> None:
    def report(name: str, value: str) -> None:
        print(f"{name:<55} {value}", flush=True)

    run(report)


if __name__ == "__main__":
    main()
