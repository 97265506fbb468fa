"""The settlement run, its figures to the fen, the re-run and the bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from common.errors import ApplicationError, PermissionDeniedError
from settlements import services
from settlements.figures import figures_digest, settlement_figures
from settlements.models import Settlement, SettlementFile, SettlementStatus
from tests.settlements.helpers import EXPECTED, YEAR, settled_world

pytestmark = pytest.mark.django_db


def run(capture, world, year=YEAR):
    with capture(execute=True):
        settlement = services.settlement_request(
            compound=world.a, year=year, actor=world.official, payee_account="6222 0000 1111 2222"
        )
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.READY, settlement.last_error
    return settlement


def test_worked_example_to_the_fen(world, django_capture_on_commit_callbacks):
    settled_world(world, django_capture_on_commit_callbacks)
    settlement = run(django_capture_on_commit_callbacks, world)
    assert settlement.figures["figures"] == EXPECTED
    assert settlement.release_fen == 21_225_187
    assert settlement.kept_fen == 1_117_116
    assert settlement.policy.version == 1
    assert settlement.figures["policy"]["version"] == 1
    assert sorted(SettlementFile.objects.filter(settlement=settlement).values_list("format", flat=True)) == [
        "csv",
        "html",
        "json",
        "pdf",
    ]


def test_rerun_gives_identical_figures(world, django_capture_on_commit_callbacks):
    settled_world(world, django_capture_on_commit_callbacks)
    settlement = run(django_capture_on_commit_callbacks, world)
    again = settlement_figures(world.a, YEAR, settlement.policy)
    assert again == settlement.figures
    assert figures_digest(again) == settlement.digest
    # The build itself is done: a second run changes nothing.
    assert services.settlement_build(settlement.pk) is None


def test_year_not_fully_disclosed_is_refused(world, django_capture_on_commit_callbacks):
    settled_world(world, django_capture_on_commit_callbacks, disclose=False)
    with pytest.raises(ApplicationError) as err:
        services.settlement_request(compound=world.a, year=YEAR, actor=world.official)
    assert "year" in err.value.extra["fields"]
    assert "Q1, Q2, Q3, Q4" in str(err.value)
    assert not Settlement.objects.exists()


def test_year_already_settled_is_refused(world, django_capture_on_commit_callbacks):
    settled_world(world, django_capture_on_commit_callbacks)
    run(django_capture_on_commit_callbacks, world)
    with pytest.raises(ApplicationError) as err:
        services.settlement_request(compound=world.a, year=YEAR, actor=world.official)
    assert "year" in err.value.extra["fields"]
    assert "already settled" in str(err.value)
    assert Settlement.objects.count() == 1


def test_current_year_and_no_score_refused(world, django_capture_on_commit_callbacks):
    settled_world(world, django_capture_on_commit_callbacks, scores=None)
    with pytest.raises(ApplicationError) as err:
        services.settlement_request(compound=world.a, year=YEAR, actor=world.official)
    assert "no closed assessment round" in str(err.value)
    with pytest.raises(ApplicationError) as err:
        services.settlement_request(compound=world.a, year=2026, actor=world.official)
    assert "has not ended yet" in str(err.value)


@pytest.mark.parametrize("who", ["staff", "committee", "resident", "street_admin"])
def test_only_an_official_runs(world, django_capture_on_commit_callbacks, who):
    settled_world(world, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDeniedError):
        services.settlement_request(compound=world.a, year=YEAR, actor=getattr(world, who))


def test_negative_distributable_releases_nothing(world, django_capture_on_commit_callbacks):
    settled_world(world, django_capture_on_commit_callbacks, fees=[16_000_000] * 4)
    settlement = run(django_capture_on_commit_callbacks, world)
    figures = settlement.figures["figures"]
    # 64,000,000 − 60,000,006 − 3,458,023 − 15,000,002
    assert figures["distributable"] == -14_458_031
    assert figures["released"] == 0 and figures["kept"] == 0
    assert figures["nothing_to_release"] is True
    html = bytes(settlement.files.get(format="html").content)
    html = html.decode()
    assert "nothing is released" in html


def test_correction_is_a_new_version_with_reason(world, django_capture_on_commit_callbacks):
    settled_world(world, django_capture_on_commit_callbacks)
    first = run(django_capture_on_commit_callbacks, world)
    with pytest.raises(ApplicationError) as err:
        services.settlement_correct(settlement=first, actor=world.official, reason="  ")
    assert "reason" in err.value.extra["fields"]
    with django_capture_on_commit_callbacks(execute=True):
        second = services.settlement_correct(settlement=first, actor=world.official, reason="政策更新")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == SettlementStatus.SUPERSEDED
    assert second.version == 2 and second.status == SettlementStatus.READY
    assert second.figures["supersedes_digest"] == first.digest
    assert second.figures["figures"] == first.figures["figures"]


def test_january_beat_settles_the_year_before_once(world, django_capture_on_commit_callbacks):
    settled_world(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.settlements_run_january(today=dt.date(YEAR + 1, 1, 5))
    assert len(queued) == 1  # compound B has no escrow account
    settlement = Settlement.objects.get(pk=queued[0])
    assert (settlement.compound, settlement.year, settlement.status) == (
        world.a,
        YEAR,
        SettlementStatus.READY,
    )
    assert services.settlements_run_january(today=dt.date(YEAR + 1, 1, 6)) == []
