"""A small world for the tests and the benchmarks, built through the real services (never raw
model saves for domain rows). Not used by the running site; the demo has its own seed."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from accounts.models import User
from communities import services
from communities.models import Building, Community, Compound, PropertyCompany, StreetOffice, Unit

_seq = itertools.count(1)


def make_user(
    *,
    name: str = "",
    phone: str | None = None,
    email: str | None = None,
    password: str = "pw-Gongguan-2026",  # noqa: S107 - test and benchmark log-ins only
) -> User:
    n = next(_seq)
    phone = phone or f"+86139{n:08d}"
    user = User.objects.create_user(
        phone=phone, email=email, password=password, display_name=name or f"用户{n}"
    )
    return user


@dataclass
class World:
    """One street office with two communities and two compounds (A and B), each with a
    building, units and a contract, plus one user per role in compound A and one
    outsider who belongs to compound B only."""

    office: StreetOffice
    community: Community
    other_community: Community
    a: Compound
    b: Compound
    company: PropertyCompany
    other_company: PropertyCompany
    building_a: Building
    building_b: Building
    unit_a: Unit
    unit_b: Unit
    resident: User
    staff: User
    manager: User
    committee: User
    committee2: User
    chair: User
    official: User
    secretary: User
    steward: User
    street_admin: User
    inspector: User
    outsider: User
    stranger: User

    def personas(self) -> dict[str, User | None]:
        """The users of the permission matrix, by the name tests print on failure."""
        return {
            "anonymous": None,
            "stranger": self.stranger,
            "outsider": self.outsider,
            "resident": self.resident,
            "company_staff": self.staff,
            "committee_member": self.committee,
            "community_official": self.official,
            "street_admin": self.street_admin,
        }


def make_world() -> World:
    office = services.street_office_create(name=f"浮山街道{next(_seq)}", actor=None)
    community = services.community_create(street_office=office, name="书台社区", actor=None)
    other_community = services.community_create(street_office=office, name="温泉社区", actor=None)
    n = next(_seq)
    a = services.compound_create(community=community, name="尚城国际", slug=f"shangcheng-{n}", actor=None)
    b = services.compound_create(community=other_community, name="银泉广场", slug=f"yinquan-{n}", actor=None)
    company = services.property_company_create(name=f"华懋物业{n}", actor=None)
    other_company = services.property_company_create(name=f"安居物业{n}", actor=None)
    services.contract_start(
        compound=a, company=company, start_date=dt.date(2025, 12, 25), fee_rate_fen=120, actor=None
    )
    services.contract_start(
        compound=b, company=other_company, start_date=dt.date(2025, 1, 1), fee_rate_fen=95, actor=None
    )
    building_a = services.building_create(compound=a, name="1栋", actor=None)
    building_b = services.building_create(compound=b, name="1栋", actor=None)
    unit_a = services.unit_create(
        building=building_a, entrance="1", number="101", floor_area="89.50", actor=None
    )
    services.unit_create(building=building_a, entrance="1", number="102", floor_area="120.00", actor=None)
    unit_b = services.unit_create(
        building=building_b, entrance="1", number="101", floor_area="95.00", actor=None
    )

    resident = make_user(name="陈先生")
    # Owners since before the escrow accounts of the tests open.
    services.unit_owner_add(unit=unit_a, user=resident, start_date=dt.date(2024, 1, 1), actor=None)
    staff = make_user(name="段家小")
    services.membership_create(user=staff, role="company_staff", company=company, compound=a, actor=None)
    manager = make_user(name="王永光")
    services.membership_create(user=manager, role="company_manager", company=company, actor=None)
    committee = make_user(name="李委员")
    services.membership_create(user=committee, role="committee_member", compound=a, actor=None)
    committee2 = make_user(name="张委员")
    services.membership_create(user=committee2, role="committee_member", compound=a, actor=None)
    chair = make_user(name="刘主任")
    services.membership_create(user=chair, role="committee_chair", compound=a, actor=None)
    official = make_user(name="周书记")
    services.membership_create(user=official, role="community_official", community=community, actor=None)
    secretary = make_user(name="吴秘书")
    services.membership_create(
        user=secretary, role="community_secretary", community=community, compound=a, actor=None
    )
    steward = make_user(name="赵管家")
    m = services.membership_create(user=steward, role="steward", compound=a, actor=None)
    services.steward_assign(membership=m, buildings=[building_a], actor=None)
    street_admin = make_user(name="街道管理员")
    services.membership_create(user=street_admin, role="street_admin", street_office=office, actor=None)
    inspector = make_user(name="街道督查")
    services.membership_create(user=inspector, role="street_inspector", street_office=office, actor=None)
    outsider = make_user(name="银泉业主")
    services.unit_owner_add(unit=unit_b, user=outsider, start_date=dt.date(2024, 1, 1), actor=None)
    stranger = make_user(name="路人")
    return World(
        office=office,
        community=community,
        other_community=other_community,
        a=a,
        b=b,
        company=company,
        other_company=other_company,
        building_a=building_a,
        building_b=building_b,
        unit_a=unit_a,
        unit_b=unit_b,
        resident=resident,
        staff=staff,
        manager=manager,
        committee=committee,
        committee2=committee2,
        chair=chair,
        official=official,
        secretary=secretary,
        steward=steward,
        street_admin=street_admin,
        inspector=inspector,
        outsider=outsider,
        stranger=stranger,
    )
