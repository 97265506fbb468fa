"""Every change made through a service leaves an audit event in the same transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from common.request_context import RequestContextMiddleware
from communities import services
from communities.audit import audit_record
from communities.models import AuditEvent, Role, ServiceContract


def test_unit_update_records_before_and_after(world):
    services.unit_update(unit=world.unit_a, floor_area="95.00", actor=world.manager)
    event = AuditEvent.objects.get(action="unit.update")
    assert event.actor == world.manager
    assert event.compound == world.a
    assert event.object_type == "communities.Unit"
    assert event.object_id == str(world.unit_a.pk)
    assert event.before["floor_area"] == "89.50"
    assert event.after["floor_area"] == "95.00"


def test_membership_end_records_before_and_after(world):
    membership = services.membership_create(
        user=world.stranger,
        role=Role.STEWARD,
        compound=world.a,
        start_date=dt.date(2025, 1, 1),
        actor=world.official,
    )
    services.membership_end(membership=membership, end_date=dt.date(2026, 1, 31), actor=world.official)
    event = AuditEvent.objects.get(action="membership.end")
    assert (event.before, event.after) == ({"end_date": None}, {"end_date": "2026-01-31"})
    assert event.actor == world.official


def test_a_create_records_the_new_row(world):
    building = services.building_create(compound=world.a, name="9栋", sort_key=9, actor=world.street_admin)
    event = AuditEvent.objects.get(action="building.create", object_id=str(building.pk))
    assert event.before is None
    assert event.after["name"] == "9栋"
    assert event.after["compound_id"] == world.a.pk


def test_the_client_address_of_the_request_is_recorded(world):
    def view(request):
        return services.building_create(compound=world.a, name="8栋", actor=world.street_admin)

    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")
    building = RequestContextMiddleware(view)(request)
    event = AuditEvent.objects.get(action="building.create", object_id=str(building.pk))
    assert event.ip_address == "203.0.113.7"  # never the client-controlled X-Forwarded-For


@pytest.mark.django_db(transaction=True)
def test_audit_record_refuses_to_write_outside_a_transaction():
    from communities.testing import make_world

    world = make_world()
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        audit_record(actor=None, action="compound.touch", obj=world.a)
    assert not AuditEvent.objects.filter(action="compound.touch").exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_service_leaves_neither_its_change_nor_its_audit_event():
    """contract_handover ends the old contract and audits that *before* it saves the new
    one; when the new one is refused, the whole durable transaction rolls back."""
    from communities.testing import make_world

    world = make_world()
    old = ServiceContract.objects.get(compound=world.a, status="active")
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc_info:
        services.contract_handover(
            compound=world.a,
            company=world.other_company,
            start_date=dt.date(2026, 6, 1),
            fee_rate_fen=0,
            actor=None,
        )
    assert "fee_rate_fen" in exc_info.value.message_dict
    old.refresh_from_db()
    assert (old.status, old.end_date) == ("active", None)
    assert AuditEvent.objects.count() == events
    assert not AuditEvent.objects.filter(action="contract.end").exists()
    assert ServiceContract.objects.filter(compound=world.a).count() == 1


@pytest.mark.django_db(transaction=True)
def test_services_are_durable_and_refuse_to_run_inside_another_transaction():
    """A top-level service commits its change and its audit event together; nesting it in
    a caller's transaction would let the caller commit half of a business action."""
    from django.db import transaction

    from communities.testing import make_world

    world = make_world()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.building_create(compound=world.a, name="7栋", actor=None)
