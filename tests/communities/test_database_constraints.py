"""The database itself refuses what the services refuse, even when code bypasses them.

The constraints come from communities' migration, so SQLite enforces them as well as
PostgreSQL; these tests run on both. The concurrency test needs PostgreSQL's row locks.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from communities import services
from communities.models import ServiceContract


def _insert(table: str, **values) -> None:
    columns = ", ".join(values)
    placeholders = ", ".join(["%s"] * len(values))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", list(values.values()))


def _contract_row(world, **overrides) -> dict:
    row = {
        "compound_id": world.a.pk,
        "company_id": world.other_company.pk,
        "start_date": dt.date(2026, 1, 1),
        "end_date": None,
        "fee_rate_fen": 100,
        "status": "active",
        "created_at": timezone.now(),
    }
    return {**row, **overrides}


def test_the_database_refuses_a_second_active_contract(world):
    with pytest.raises(IntegrityError):
        _insert("communities_servicecontract", **_contract_row(world))
    assert ServiceContract.objects.filter(compound=world.a, status="active").count() == 1


def test_the_database_accepts_a_second_contract_that_has_ended(world):
    _insert(
        "communities_servicecontract",
        **_contract_row(
            world, status="ended", start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 12, 31)
        ),
    )


@pytest.mark.parametrize("overrides", [{"fee_rate_fen": 0}, {"end_date": dt.date(2025, 12, 31)}])
def test_the_database_refuses_a_contract_with_a_bad_rate_or_dates(world, overrides):
    compound = services.compound_create(
        community=world.community, name="龙泉花园", slug="longquan-db", actor=None
    )
    with pytest.raises(IntegrityError):
        _insert("communities_servicecontract", **_contract_row(world, compound_id=compound.pk, **overrides))


@pytest.mark.parametrize("area", ["0", "-1.00", "2000.01"])
def test_the_database_refuses_a_unit_with_an_impossible_floor_area(world, area):
    with pytest.raises(IntegrityError):
        _insert(
            "communities_unit",
            compound_id=world.a.pk,
            building_id=world.building_a.pk,
            entrance="3",
            number="101",
            floor_area=area,
        )


def test_the_database_refuses_a_duplicate_unit(world):
    with pytest.raises(IntegrityError):
        _insert(
            "communities_unit",
            compound_id=world.a.pk,
            building_id=world.building_a.pk,
            entrance="1",
            number="101",
            floor_area="90.00",
        )


def _membership_row(world, **overrides) -> dict:
    row = {
        "user_id": world.stranger.pk,
        "party": "committee",
        "role": "committee_member",
        "street_office_id": None,
        "community_id": None,
        "company_id": None,
        "compound_id": world.a.pk,
        "title": "",
        "start_date": dt.date(2026, 1, 1),
        "end_date": None,
        "created_at": timezone.now(),
    }
    return {**row, **overrides}


def test_the_membership_row_used_below_is_valid(world):
    _insert("communities_membership", **_membership_row(world))


@pytest.mark.parametrize(
    "overrides",
    [
        {"role": "company_staff"},  # a company role in the committee
        {"party": "street_office", "role": "committee_member"},
        {"role": "owner"},  # owners come from unit links, never memberships
        {"end_date": dt.date(2025, 12, 31)},  # ends before it starts
        {"compound_id": None},  # a committee of no compound
    ],
)
def test_the_database_refuses_a_malformed_membership(world, overrides):
    with pytest.raises(IntegrityError):
        _insert("communities_membership", **_membership_row(world, **overrides))


@pytest.mark.django_db(transaction=True)
def test_concurrent_handovers_leave_exactly_one_active_contract(postgres_only):
    """Two street-office clerks hand the compound to two companies at the same moment:
    the compound row lock serialises them; one wins, the other is refused."""
    from communities.testing import make_world

    world = make_world()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def hand_over(company):
        try:
            barrier.wait(timeout=10)
            services.contract_handover(
                compound=world.a,
                company=company,
                start_date=dt.date(2026, 6, 1),
                fee_rate_fen=130,
                actor=None,
            )
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(f"refused: {sorted(error.message_dict)}")
        finally:
            connection.close()

    other = services.property_company_create(name="第三物业", actor=None)
    threads = [threading.Thread(target=hand_over, args=(c,)) for c in (world.other_company, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["ok", "refused: ['start_date']"]
    contracts = list(ServiceContract.objects.filter(compound=world.a).order_by("start_date"))
    assert [c.status for c in contracts] == ["ended", "active"]
    assert contracts[0].end_date == dt.date(2026, 5, 31)


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_contracts_leave_exactly_one_active(postgres_only):
    from communities.testing import make_world

    world = make_world()
    compound = services.compound_create(
        community=world.community, name="龙泉花园", slug="longquan-race", actor=None
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def start(company):
        try:
            barrier.wait(timeout=10)
            services.contract_start(
                compound=compound,
                company=company,
                start_date=dt.date(2026, 1, 1),
                fee_rate_fen=120,
                actor=None,
            )
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(f"refused: {sorted(error.message_dict)}")
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(c,)) for c in (world.company, world.other_company)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["ok", "refused: ['compound']"]
    assert ServiceContract.objects.filter(compound=compound, status="active").count() == 1
