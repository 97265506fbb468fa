"""Demo data for a developer machine: the Fushan pilot, built only through services.

``python manage.py seed_demo`` builds 浮山街道 (咸安区, 咸宁市) → two communities →
five pilot compounds with buildings and a few hundred units each, the property
companies and their contracts (华懋物业 took over 尚城国际 on 2025-12-25 by a
handover), the 19 duties (copied by ``compound_create``), the three-level party
structure, stewards, a cross-appointed person, and one log-in per role — then a year
of money: fee bills and payments into each pilot's escrow account (escrow/demo/fees.py),
payouts through the real request → review → recheck → payment workflow
(escrow/demo/payouts.py) and every past quarter's disclosure, published
(escrow/demo/disclosures.py).

It is idempotent: every row is looked up by its natural key first and only what is
missing is created, so a second run changes nothing (and says so), and a run that
was interrupted picks up where it stopped. Later issues add their own stages (ledger,
meetings, assessments) as further ``_seed_*`` methods listed in ``Seeder.stages``.

Every domain row goes through ``communities.services``, so the demo data has the same
audit trail and obeys the same rules as data entered through the pages. Only users
are created with the user manager: there is no user service, and a log-in is not a
row of the scheme.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from accounts.models import User
from assessments.demo import seed_assessments_demo
from communities import services
from communities.models import (
    Building,
    Community,
    Compound,
    Membership,
    PartyUnit,
    PropertyCompany,
    Role,
    ServiceContract,
    StewardAssignment,
    StreetOffice,
    Unit,
    UnitOwnership,
    _active_q,
)
from escrow.demo.disclosures import seed_disclosures_demo
from escrow.demo.fees import seed_escrow_demo
from escrow.demo.payouts import seed_payouts_demo
from escrow.models import Disclosure, JournalEntry, PayoutRequest, PayoutSignature
from meetings.demo import seed_meetings_demo
from meetings.models import Meeting
from portal.demo_signers import DEMO_TOTP_SECRET, enrol_demo_signers
from settlements.demo import seed_settlements_demo
from street.demo import seed_street_demo

# One password for every demo log-in, printed in the table and in the README.
DEMO_PASSWORD = "gongguan-demo-2026"  # noqa: S105 - a documented demo password, not a secret

STREET_OFFICE = {"name": "浮山街道", "district": "咸安区", "city": "咸宁市"}
COMMUNITIES = ["书台社区", "金桂社区"]


@dataclass(frozen=True)
class CompoundPlan:
    slug: str
    name: str
    community: str
    address: str
    company: str
    contract_start: dt.date
    fee_rate_fen: int
    # (company, start, fee) of the contract that a handover replaced, if any.
    previous: tuple[str, dt.date, int] | None = None


COMPOUNDS = [
    CompoundPlan(
        slug="shangcheng",
        name="尚城国际",
        community="书台社区",
        address="咸宁市咸安区书台街",
        company="华懋物业",
        contract_start=dt.date(2025, 12, 25),
        fee_rate_fen=120,
        previous=("鑫鼎物业", dt.date(2019, 6, 1), 95),
    ),
    CompoundPlan(
        slug="yinquan",
        name="银泉广场",
        community="书台社区",
        address="咸宁市咸安区银泉大道",
        company="安居物业",
        contract_start=dt.date(2023, 1, 1),
        fee_rate_fen=110,
    ),
    CompoundPlan(
        slug="longquan",
        name="龙泉花园",
        community="金桂社区",
        address="咸宁市咸安区龙泉路",
        company="华懋物业",
        contract_start=dt.date(2024, 7, 1),
        fee_rate_fen=150,
    ),
    CompoundPlan(
        slug="dangui",
        name="丹桂苑",
        community="书台社区",
        address="咸宁市咸安区丹桂路",
        company="淦河物业",
        contract_start=dt.date(2022, 3, 1),
        fee_rate_fen=98,
    ),
    CompoundPlan(
        slug="ganhe",
        name="淦河家园",
        community="金桂社区",
        address="咸宁市咸安区淦河大道",
        company="安居物业",
        contract_start=dt.date(2024, 1, 1),
        fee_rate_fen=135,
    ),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
GIVEN_NAMES = ["建国", "红梅", "志强", "丽娟", "海涛", "小燕", "文斌", "春华"]
# The pilots' committees (other than 尚城国际's, see _seed_memberships) were elected then.
ELECTED = dt.date(2024, 5, 18)

# name → has a party branch (the report: three companies formed party branches).
COMPANIES = {"华懋物业": True, "安居物业": True, "淦河物业": True, "鑫鼎物业": False}

# Typical layouts (m²) of flats in Xianning compounds; each flat position in an
# entrance keeps its layout on every floor, with the small differences surveys find.
LAYOUTS = [Decimal(a) for a in ("65", "89", "96", "118", "128", "143", "165")]


@dataclass(frozen=True)
class Login:
    key: str
    role_label: str
    name: str
    phone: str
    email: str
    compound: str = ""


# One demo log-in per role. Phones are +86 138 0000 xxxx; e-mails on example.com.
LOGINS = [
    Login("admin", "超级管理员 (Django admin)", "系统管理员", "+8613800000000", "admin@example.com"),
    Login("resident", "业主", "陈先生", "+8613800000001", "resident@example.com", "尚城国际"),
    Login("owner_rep", "业主代表", "孙代表", "+8613800000002", "owner.rep@example.com", "尚城国际"),
    Login("staff", "物业员工", "段家小", "+8613800000003", "staff@example.com", "尚城国际"),
    Login(
        "manager",
        "物业经理",
        "王永光",
        "+8613800000004",
        "manager@example.com",
        "华懋物业 (尚城国际, 龙泉花园)",
    ),
    Login("committee", "业委会委员", "李委员", "+8613800000005", "committee@example.com", "尚城国际"),
    Login(
        "committee2", "业委会委员 (第二位)", "张委员", "+8613800000006", "committee2@example.com", "尚城国际"
    ),
    Login("chair", "业委会主任", "刘主任", "+8613800000007", "chair@example.com", "尚城国际"),
    Login("official", "社区干部", "周书记", "+8613800000008", "official@example.com", "书台社区"),
    Login(
        "secretary", "专职秘书", "吴秘书", "+8613800000009", "secretary@example.com", "书台社区 · 尚城国际"
    ),
    Login("steward", "桂乡管家", "赵管家", "+8613800000010", "steward@example.com", "尚城国际 1–3栋"),
    Login(
        "street_admin", "街道管理员", "街道管理员", "+8613800000011", "street.admin@example.com", "浮山街道"
    ),
    Login("inspector", "街道督查", "街道督查员", "+8613800000012", "inspector@example.com", "浮山街道"),
    Login(
        "cross",
        "交叉任职: 业委会委员 + 社区干部",
        "王荣",
        "+8613800000013",
        "cross@example.com",
        "尚城国际 · 书台社区",
    ),
]


@dataclass
class Seeder:
    """Builds the demo world stage by stage; each stage creates only what is missing."""

    out: object
    created: Counter = field(default_factory=Counter)
    today: dt.date = field(default_factory=timezone.localdate)
    office: StreetOffice | None = None
    communities: dict[str, Community] = field(default_factory=dict)
    companies: dict[str, PropertyCompany] = field(default_factory=dict)
    compounds: dict[str, Compound] = field(default_factory=dict)
    buildings: dict[str, list[Building]] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    @property
    def stages(self):
        return [
            self._seed_organisations,
            self._seed_companies,
            self._seed_compounds,
            self._seed_units,
            self._seed_contracts,
            self._seed_party_units,
            self._seed_logins,
            self._seed_memberships,
            self._seed_other_compounds_people,
            self._seed_escrow,
            self._seed_payouts,
            self._seed_disclosures,
            self._seed_meetings,
            self._seed_assessments,
            self._seed_settlements,
            self._seed_street,
        ]

    def run(self) -> None:
        for stage in self.stages:
            started = time.perf_counter()
            before = sum(self.created.values())
            stage()
            made = sum(self.created.values()) - before
            name = stage.__name__.removeprefix("_seed_")
            self.out.write(f"  {name:<28} {made:>6} new   {time.perf_counter() - started:6.2f}s")

    # ------------------------------------------------------------------ helpers

    def _note(self, kind: str, n: int = 1) -> None:
        self.created[kind] += n

    def _since(self, day: dt.date) -> dt.date:
        """Start dates in the plan are historical; never start a role in the future."""
        return min(day, self.today)

    @cached_property
    def demo_password_hash(self) -> str:
        # Hashing is slow on purpose (PBKDF2); hash the one demo password once.
        return make_password(DEMO_PASSWORD)

    def _user(
        self, *, name: str, phone: str, email: str = "", can_log_in: bool = False, superuser: bool = False
    ) -> User:
        """The user with this phone; created if missing. Background people get an
        unusable password: only the listed demo log-ins can sign in."""
        user = User.objects.filter(phone=phone).first()
        if user is None:
            create = User.objects.create_superuser if superuser else User.objects.create_user
            user = create(
                phone=phone, email=email or None, password=None, display_name=name, phone_verified=True
            )
            if can_log_in:
                user.password = self.demo_password_hash
                user.save(update_fields=["password"])
            if email:
                _verified_email(user, email)
            self._note("user")
        return user

    def _membership(self, *, user: User, role: str, title: str = "", since: dt.date | None = None, **org):
        """The person's current membership with this role in exactly this organisation."""
        lookup = {key: org.get(key) for key in ("street_office", "community", "company", "compound")}
        existing = Membership.objects.filter(_active_q(on=self.today), user=user, role=role, **lookup).first()
        if existing:
            return existing
        self._note("membership")
        return services.membership_create(
            user=user,
            role=role,
            title=title,
            start_date=self._since(since or self.today),
            actor=None,
            **org,
        )

    def _owner(self, *, user: User, unit: Unit, since: dt.date) -> None:
        if not UnitOwnership.objects.filter(unit=unit, user=user, end_date__isnull=True).exists():
            services.unit_owner_add(unit=unit, user=user, start_date=self._since(since), actor=None)
            self._note("unit_ownership")

    def _unit(self, slug: str, building_index: int, entrance: str, number: str) -> Unit:
        return Unit.objects.get(
            building=self.buildings[slug][building_index], entrance=entrance, number=number
        )

    # ------------------------------------------------------------------ stages

    def _seed_organisations(self) -> None:
        self.office = StreetOffice.objects.filter(name=STREET_OFFICE["name"]).first()
        if self.office is None:
            self.office = services.street_office_create(**STREET_OFFICE, actor=None)
            self._note("street_office")
        for name in COMMUNITIES:
            community = Community.objects.filter(street_office=self.office, name=name).first()
            if community is None:
                community = services.community_create(street_office=self.office, name=name, actor=None)
                self._note("community")
            self.communities[name] = community

    def _seed_companies(self) -> None:
        for name, has_branch in COMPANIES.items():
            company = PropertyCompany.objects.filter(name=name).first()
            if company is None:
                company = services.property_company_create(name=name, has_party_branch=has_branch, actor=None)
                self._note("property_company")
            self.companies[name] = company

    def _seed_compounds(self) -> None:
        for plan in COMPOUNDS:
            compound = Compound.objects.filter(slug=plan.slug).first()
            if compound is None:
                # compound_create copies the street office's 19-item duty list.
                compound = services.compound_create(
                    community=self.communities[plan.community],
                    name=plan.name,
                    slug=plan.slug,
                    address=plan.address,
                    actor=None,
                )
                self._note("compound")
            self.compounds[plan.slug] = compound

    def _seed_units(self) -> None:
        for plan in COMPOUNDS:
            compound = self.compounds[plan.slug]
            existing_buildings = {
                b.name: b for b in Building.objects.filter(compound=compound).select_related("compound")
            }
            buildings = []
            for index, shape in enumerate(building_shapes(plan.slug), start=1):
                name = f"{index}栋"
                building = existing_buildings.get(name)
                if building is None:
                    building = services.building_create(
                        compound=compound, name=name, sort_key=index, actor=None
                    )
                    self._note("building")
                buildings.append(building)
                have = set(Unit.objects.filter(building=building).values_list("entrance", "number"))
                for entrance, number, area in shape.units():
                    if (entrance, number) in have:
                        continue
                    # unit_create is one durable transaction per flat (validation, insert,
                    # audit event); at ~2,000 flats that is the seed's main cost.
                    services.unit_create(
                        building=building, entrance=entrance, number=number, floor_area=area, actor=None
                    )
                    self._note("unit")
            self.buildings[plan.slug] = buildings

    def _seed_contracts(self) -> None:
        for plan in COMPOUNDS:
            compound = self.compounds[plan.slug]
            contracts = ServiceContract.objects.filter(compound=compound)
            if plan.previous:
                old_company, old_start, old_fee = plan.previous
                if not contracts.filter(company=self.companies[old_company]).exists():
                    services.contract_start(
                        compound=compound,
                        company=self.companies[old_company],
                        start_date=old_start,
                        fee_rate_fen=old_fee,
                        actor=None,
                    )
                    self._note("contract")
                if not contracts.filter(company=self.companies[plan.company]).exists():
                    # 物业更迭, “无缝衔接”: the old contract ends the day before.
                    services.contract_handover(
                        compound=compound,
                        company=self.companies[plan.company],
                        start_date=plan.contract_start,
                        end_date=_years_later(plan.contract_start, 3),
                        fee_rate_fen=plan.fee_rate_fen,
                        actor=None,
                    )
                    self._note("contract")
            elif not contracts.exists():
                # Renewed from year to year, so no fixed end date (a term that ended
                # before whatever today is would read as a lapsed contract).
                services.contract_start(
                    compound=compound,
                    company=self.companies[plan.company],
                    start_date=plan.contract_start,
                    fee_rate_fen=plan.fee_rate_fen,
                    actor=None,
                )
                self._note("contract")

    def _party_unit(self, *, level: str, name: str, community: Community, **where) -> PartyUnit:
        unit = PartyUnit.objects.filter(level=level, community=community, name=name).first()
        if unit is None:
            unit = services.party_unit_create(
                level=level, name=name, community=community, actor=None, **where
            )
            self._note("party_unit")
        return unit

    def _seed_party_units(self) -> None:
        """社区党组织 → 小区党支部 → 楼栋党小组, for every pilot compound."""
        organisations = {
            name: self._party_unit(
                level=PartyUnit.Level.COMMUNITY_ORGANISATION, name=f"{name}党委", community=community
            )
            for name, community in self.communities.items()
        }
        for plan in COMPOUNDS:
            compound = self.compounds[plan.slug]
            community = self.communities[plan.community]
            branch = self._party_unit(
                level=PartyUnit.Level.COMPOUND_BRANCH,
                name=f"{plan.name}小区党支部",
                community=community,
                parent=organisations[plan.community],
                compound=compound,
            )
            for building in self.buildings[plan.slug]:
                self._party_unit(
                    level=PartyUnit.Level.BUILDING_GROUP,
                    name=f"{plan.name}{building.name}党小组",
                    community=community,
                    parent=branch,
                    compound=compound,
                    building=building,
                )

    def _seed_logins(self) -> None:
        for login in LOGINS:
            self.users[login.key] = self._user(
                name=login.name,
                phone=login.phone,
                email=login.email,
                can_log_in=True,
                superuser=login.key == "admin",
            )

    def _seed_memberships(self) -> None:
        """The demo log-ins' roles, mostly in 尚城国际 and 书台社区."""
        u = self.users
        shangcheng = self.compounds["shangcheng"]
        shutai = self.communities["书台社区"]
        huamao = self.companies["华懋物业"]
        handover = dt.date(2025, 12, 25)
        elected = dt.date(2024, 5, 18)

        self._owner(
            user=u["resident"], unit=self._unit("shangcheng", 1, "1", "501"), since=dt.date(2016, 9, 1)
        )
        self._owner(
            user=u["owner_rep"], unit=self._unit("shangcheng", 0, "1", "302"), since=dt.date(2017, 3, 1)
        )
        self._membership(user=u["owner_rep"], role=Role.OWNER_REP, compound=shangcheng, since=elected)
        # Committee members are owners of the compound they serve.
        for key, (b, e, n) in {
            "committee": (0, "1", "601"),
            "committee2": (2, "1", "402"),
            "chair": (3, "1", "801"),
            "cross": (0, "1", "202"),
        }.items():
            self._owner(user=u[key], unit=self._unit("shangcheng", b, e, n), since=dt.date(2016, 9, 1))
        self._membership(user=u["committee"], role=Role.COMMITTEE_MEMBER, compound=shangcheng, since=elected)
        self._membership(user=u["committee2"], role=Role.COMMITTEE_MEMBER, compound=shangcheng, since=elected)
        self._membership(
            user=u["chair"], role=Role.COMMITTEE_CHAIR, title="主任", compound=shangcheng, since=elected
        )
        self._membership(
            user=u["staff"],
            role=Role.COMPANY_STAFF,
            title="项目负责人",
            company=huamao,
            compound=shangcheng,
            since=handover,
        )
        self._membership(
            user=u["manager"], role=Role.COMPANY_MANAGER, title="负责人", company=huamao, since=handover
        )
        self._membership(
            user=u["official"],
            role=Role.COMMUNITY_OFFICIAL,
            title="书记",
            community=shutai,
            since=dt.date(2021, 1, 1),
        )
        self._membership(
            user=u["secretary"],
            role=Role.COMMUNITY_SECRETARY,
            title="专职秘书",
            community=shutai,
            compound=shangcheng,
            since=dt.date(2025, 10, 1),
        )
        # 交叉任职: 王荣, secretary of the compound's party branch, sits on the
        # committee and is a member of the community's staff at the same time.
        self._membership(user=u["cross"], role=Role.COMMITTEE_MEMBER, compound=shangcheng, since=elected)
        self._membership(
            user=u["cross"],
            role=Role.COMMUNITY_OFFICIAL,
            title="兼职委员",
            community=shutai,
            since=dt.date(2025, 9, 1),
        )
        self._membership(
            user=u["street_admin"],
            role=Role.STREET_ADMIN,
            street_office=self.office,
            since=dt.date(2025, 1, 1),
        )
        self._membership(
            user=u["inspector"],
            role=Role.STREET_INSPECTOR,
            street_office=self.office,
            since=dt.date(2025, 1, 1),
        )
        steward = self._membership(
            user=u["steward"], role=Role.STEWARD, compound=shangcheng, since=dt.date(2025, 3, 1)
        )
        self._assign(steward, self.buildings["shangcheng"][:3])

    def _seed_other_compounds_people(self) -> None:
        """Each pilot compound gets a committee, stewards for its buildings, a staff
        member of its property company (who files payout requests) and, where its
        community has none, a community official (who rechecks them); these people
        cannot log in (unusable passwords). Roles start on historical dates: the
        payouts demo replays a year of signatures, and a role counts only from its start."""
        for number, plan in enumerate(COMPOUNDS, start=1):
            compound = self.compounds[plan.slug]
            rng = random.Random(zlib.crc32(f"people:{plan.slug}".encode()))  # noqa: S311 - demo data
            base = 1370000_0000 + number * 100

            def person(offset: int, title: str, rng=rng, base=base) -> User:
                return self._user(name=f"{rng.choice(SURNAMES)}{title}", phone=f"+86{base + offset}")

            if plan.slug != "shangcheng":
                chair = person(1, "主任")
                self._membership(
                    user=chair, role=Role.COMMITTEE_CHAIR, title="主任", compound=compound, since=ELECTED
                )
                for offset in (2, 3, 4):
                    self._membership(
                        user=person(offset, "委员"),
                        role=Role.COMMITTEE_MEMBER,
                        compound=compound,
                        since=ELECTED,
                    )
                names = random.Random(zlib.crc32(f"staff:{plan.slug}".encode()))  # noqa: S311 - demo data
                staff = self._user(
                    name=f"{names.choice(SURNAMES)}{names.choice(GIVEN_NAMES)}", phone=f"+86{base + 90}"
                )
                self._membership(
                    user=staff,
                    role=Role.COMPANY_STAFF,
                    title="项目负责人",
                    company=self.companies[plan.company],
                    compound=compound,
                    since=plan.contract_start,
                )
            buildings = self.buildings[plan.slug]
            # One steward per two buildings (the steward log-in covers 尚城国际 1–3栋).
            start = 3 if plan.slug == "shangcheng" else 0
            for index in range(start, len(buildings), 2):
                steward = self._membership(
                    user=person(10 + index, "管家"), role=Role.STEWARD, compound=compound
                )
                self._assign(steward, buildings[index : index + 2])
        for index, (name, community) in enumerate(self.communities.items(), start=1):
            officials = Membership.objects.filter(
                _active_q(on=self.today), role=Role.COMMUNITY_OFFICIAL, community=community
            )
            if not officials.exists():
                names = random.Random(zlib.crc32(f"official:{name}".encode()))  # noqa: S311 - demo data
                official = self._user(
                    name=f"{names.choice(SURNAMES)}书记", phone=f"+86{1370000_9000 + index}"
                )
                self._membership(
                    user=official,
                    role=Role.COMMUNITY_OFFICIAL,
                    title="书记",
                    community=community,
                    since=dt.date(2021, 1, 1),
                )

    def _seed_escrow(self) -> None:
        """A year of fee bills and payments into the pilots' escrow accounts (escrow/demo/fees.py)."""
        before = JournalEntry.objects.count()
        seed_escrow_demo(stdout=self.out)
        posted = JournalEntry.objects.count() - before
        if posted:
            self._note("ledger entries", posted)

    def _seed_payouts(self) -> None:
        """A year of payouts through the real workflow, replayed day by day (escrow/demo/payouts.py)."""
        before = PayoutRequest.objects.count(), PayoutSignature.objects.count()
        seed_payouts_demo(stdout=self.out)
        requests, signatures = PayoutRequest.objects.count(), PayoutSignature.objects.count()
        if requests - before[0]:
            self._note("payout request", requests - before[0])
        if signatures - before[1]:
            self._note("payout signature", signatures - before[1])

    def _seed_disclosures(self) -> None:
        """Every ended quarter disclosed and published (escrow/demo/disclosures.py); after the payouts."""
        before = Disclosure.objects.count()
        seed_disclosures_demo(stdout=self.out)
        if Disclosure.objects.count() - before:
            self._note("disclosure", Disclosure.objects.count() - before)

    def _seed_meetings(self) -> None:
        """Topics, 23 joint and expanded meetings, 18 topics resolved and one owners' vote (meetings/demo.py)."""
        before = Meeting.objects.count()
        seed_meetings_demo(stdout=self.out)
        if Meeting.objects.count() - before:
            self._note("meeting", Meeting.objects.count() - before)

    def _seed_assessments(self) -> None:
        """Four closed quarterly rounds per pilot and a year of repair requests (assessments/demo.py)."""
        for kind, n in seed_assessments_demo(stdout=self.out).items():
            if n:
                self._note(kind, n)

    def _seed_settlements(self) -> None:
        """The first year's settlement of every pilot, confirmed, released and paid, after the
        assessments it reads (settlements/demo.py)."""
        seed_settlements_demo(stdout=self.out)

    def _seed_street(self) -> None:
        """The street office's rollups and flags over everything above (street/demo.py)."""
        # Refreshed only when this run made something: a second run writes nothing.
        seed_street_demo(stdout=self.out, refresh=sum(self.created.values()) > 0)

    def _assign(self, steward: Membership, buildings: list[Building]) -> None:
        have = set(StewardAssignment.objects.filter(membership=steward).values_list("building_id", flat=True))
        missing = [b for b in buildings if b.pk not in have]
        if missing:
            services.steward_assign(membership=steward, buildings=missing, actor=None)
            self._note("steward_assignment", len(missing))


def _verified_email(user: User, email: str) -> None:
    """Log-in by e-mail finds the user through allauth's address book."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.get_or_create(
        user=user, email=email.lower(), defaults={"verified": True, "primary": True}
    )


def _years_later(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year + years) - dt.timedelta(days=1)


# ---------------------------------------------------------------------------- buildings


@dataclass(frozen=True)
class BuildingShape:
    entrances: int
    floors: int
    flats_per_floor: int
    areas: tuple[tuple[Decimal, ...], ...]  # [entrance][flat position] → m²

    def units(self):
        """(entrance, number, floor area) for every flat; number = floor + position, e.g. 1502."""
        for entrance in range(1, self.entrances + 1):
            for floor in range(1, self.floors + 1):
                for position in range(1, self.flats_per_floor + 1):
                    area = self.areas[entrance - 1][position - 1]
                    yield str(entrance), f"{floor}{position:02d}", area


def building_shapes(slug: str) -> list[BuildingShape]:
    """A deterministic estate for a compound: high-rise towers (one entrance, up to 18
    floors, 2–4 flats a floor) and six- or seven-storey blocks (2–3 entrances, 2 flats
    a floor), until the compound has a few hundred flats (260 to 480, plus the last building)."""
    rng = random.Random(zlib.crc32(f"estate:{slug}".encode()))  # noqa: S311 - demo data
    target = rng.randint(260, 480)
    shapes: list[BuildingShape] = []
    total = 0
    while total < target:
        if rng.random() < 0.5:
            entrances, floors, flats = 1, rng.choice([11, 15, 18]), rng.choice([2, 3, 4])
        else:
            entrances, floors, flats = rng.choice([2, 3]), rng.choice([6, 7]), 2
        areas = tuple(
            tuple(_area(rng, rng.choice(LAYOUTS)) for _position in range(flats))
            for _entrance in range(entrances)
        )
        shapes.append(BuildingShape(entrances, floors, flats, areas))
        total += entrances * floors * flats
    return shapes


def _area(rng: random.Random, layout: Decimal) -> Decimal:
    """A surveyed floor area near the layout's nominal size, within 60–180 m²."""
    jitter = Decimal(rng.randint(-250, 250)) / 100
    return min(max(layout + jitter, Decimal("60.00")), Decimal("180.00"))


# ---------------------------------------------------------------------------- command


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def login_table() -> str:
    header = ("角色 role", "手机 phone", "e-mail", "密码 password", "小区/组织 where")
    rows = [(x.role_label, x.phone, x.email, DEMO_PASSWORD, x.compound or "—") for x in LOGINS]
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _skip_waiting_for_the_disk() -> None:
    """Each service call is its own durable transaction, so seeding is thousands of
    commits, each waiting for the disk. The demo database is throw-away and the seed
    resumes where it stopped, so for this connection only, commits do not wait:
    PostgreSQL may lose the last few on a crash (never corrupts), SQLite skips fsync."""
    if connection.in_atomic_block:  # inside a test's transaction: nothing to gain
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit TO OFF")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous = OFF")


class Command(BaseCommand):
    help = (
        "Build the Fushan demo (浮山街道, 5 pilot compounds, companies, contracts, duties, "
        "party units, stewards, one log-in per role, a year of fees and payouts, every past "
        "quarter disclosed) through the services. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even outside DEBUG and DEMO_MODE (never on a real deployment).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the database already has any compound (used by `make run`).",
        )

    def handle(self, *args, force: bool, if_empty: bool, **options):
        if not (settings.DEBUG or settings.DEMO_MODE) and not force:
            raise CommandError(
                "seed_demo refuses to run outside DEBUG or DEMO_MODE: it creates log-ins with a published "
                "password. "
                "Use --force only on a throw-away database."
            )
        if if_empty and Compound.objects.exists():
            self.stdout.write("The database already has compounds; not seeding the demo.")
            return
        started = time.perf_counter()
        self.stdout.write("Seeding the Fushan co-management demo…")
        _skip_waiting_for_the_disk()
        seeder = Seeder(out=self.stdout)
        seeder.run()
        enrol_demo_signers()  # the demo's authenticator app: portal/demo_signers.py
        elapsed = time.perf_counter() - started
        if seeder.created:
            summary = ", ".join(f"{n} {kind}" for kind, n in sorted(seeder.created.items()))
            self.stdout.write(self.style.SUCCESS(f"Created {summary} in {elapsed:.1f}s."))
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Nothing to do: the demo data is already in place ({elapsed:.1f}s).")
            )
        self.stdout.write("")
        self.stdout.write(f"Demo log-ins (phone or e-mail, password {DEMO_PASSWORD}):")
        self.stdout.write(login_table())
        self.stdout.write(
            f"Signers (committee, community, chair) have an authenticator app with the secret "
            f"{DEMO_TOTP_SECRET}: `python manage.py demo_totp EMAIL` prints the current code."
        )
