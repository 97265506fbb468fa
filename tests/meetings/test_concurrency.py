"""One ballot per unit under simultaneous submits, on PostgreSQL with real threads, and the
database's own constraint as the last word."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from communities import services as community_services
from communities.testing import make_user
from meetings import votes
from meetings.models import Ballot

pytestmark = pytest.mark.usefixtures("postgres_only")


def _run_together(calls):
    barrier = threading.Barrier(len(calls))
    errors = []

    def worker(call):
        try:
            barrier.wait(timeout=10)
            call()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


@pytest.mark.django_db(transaction=True)
def test_co_owners_submitting_at_once_leave_one_ballot(world):
    partners = [make_user(name=f"共有人{n}") for n in range(4)]
    for person in partners:
        community_services.unit_owner_add(
            unit=world.unit_a, user=person, start_date=dt.date(2024, 1, 1), actor=None
        )
    vote = votes.vote_open(
        compound=world.a,
        actor=world.chair,
        title="t",
        matter=9,
        closes_at=timezone.now() + dt.timedelta(hours=1),
    )
    people = [world.resident, *partners]
    choices = ["agree", "disagree", "abstain", "agree", "disagree"]
    errors = _run_together(
        [
            (lambda p=p, c=c: votes.ballot_cast(vote=vote, unit=world.unit_a, choice=c, actor=p))
            for p, c in zip(people, choices, strict=True)
        ]
    )
    assert errors == []
    ballots = list(Ballot.objects.filter(vote=vote, unit=world.unit_a))
    assert len(ballots) == 1
    # The surviving ballot is one of the submitted ones, by the person who cast it.
    assert (ballots[0].cast_by_id, ballots[0].choice) in set(
        zip([p.pk for p in people], choices, strict=True)
    )


@pytest.mark.django_db(transaction=True)
def test_ballots_for_different_units_all_land(world):
    units = [
        community_services.unit_create(
            building=world.building_a, entrance="3", number=str(n), floor_area="60.00", actor=None
        )
        for n in range(6)
    ]
    owners = [make_user(name=f"业主{n}") for n in range(6)]
    for unit, owner in zip(units, owners, strict=True):
        community_services.unit_owner_add(unit=unit, user=owner, start_date=dt.date(2024, 1, 1), actor=None)
    vote = votes.vote_open(
        compound=world.a,
        actor=world.chair,
        title="t",
        matter=9,
        closes_at=timezone.now() + dt.timedelta(hours=1),
    )
    errors = _run_together(
        [
            (lambda u=u, o=o: votes.ballot_cast(vote=vote, unit=u, choice="agree", actor=o))
            for u, o in zip(units, owners, strict=True)
        ]
    )
    assert errors == []
    assert Ballot.objects.filter(vote=vote).count() == 6


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_a_second_ballot_row_for_a_unit(world):
    vote = votes.vote_open(
        compound=world.a,
        actor=world.chair,
        title="t",
        matter=9,
        closes_at=timezone.now() + dt.timedelta(hours=1),
    )
    votes.ballot_cast(vote=vote, unit=world.unit_a, choice="agree", actor=world.resident)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(
            compound=world.a,
            vote=vote,
            unit=world.unit_a,
            choice="disagree",
            channel="online",
            cast_by=world.resident,
            owner=world.resident,
        )
