"""Demo payouts for the five Fushan pilots: a year of the money going out, through the
real payout workflow (物业申请 → 业委会审核 → 社区复核 → 联签支付), so that a resident
can follow a payout from the request to the public ledger and into the quarter's
disclosure.

Every month from December 2025, each pilot's property company files its necessary
monthly costs — staff, cleaning, security and the common areas' water and power,
together 55–70 % of what the compound received that month — with an invoice; two
committee members review each request, a community official rechecks it, and the
committee chair records the bank transfer around the 26th–28th. Once a quarter a small
contractor is paid for a repair (a few thousand yuan at most, never more than the
compound has put by). Exactly as the services require: the applicant is the company's
staff member, the signers are distinct people of the committee and the community, and
nobody of the payee company signs.

What is left open, so that the holds and the signing queues show: in the last seeded
month (November 2026) every compound has a request in flight (尚城国际 two: one waiting
for the committee, one for the community's recheck), the necessary costs whose payment
day has not come are waiting for payment, and every compound's third-quarter repair was
submitted on 2026-09-28 and paid on 2026-10-08, so the Q3 disclosure shows an open hold.

**Replaying history.** The services stamp ``timezone.now()`` (submission, signatures,
payment, audit events, notifications) and refuse a payment dated before the request was
submitted. To file a request "on 2026-03-21" the demo therefore sets the clock back:
``_replaying`` patches ``django.utils.timezone.now`` (``unittest.mock.patch``) and the
two model fields whose default captured that function (``PayoutSignature.signed_at``,
``AuditEvent.created_at``) to the step's moment, and signers pass a second factor
``SecondFactor(method="totp", at=<that moment>)`` as the payout tests do. The demo — and
nothing else in the application — replays history this way; a real signature always goes
through the step-up form. While replaying, no e-mail is sent (the inbox rows are kept,
and those about requests that are paid are marked read at their own time: they are
history) and labels and memos are written in the site's default language, as the pages
would write them.

Deterministic (random choices seeded by compound and month, never by database ids) and
idempotent: a request is found again by its compound and purpose (unique per compound)
and only the steps it has not taken yet are done, so a second run does nothing and a
run on a later day finishes what has fallen due since. A step whose day has not come is
left for a later run; a step "today" is stamped no later than the real now.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import sys
import time
import zlib
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from unittest import mock

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone, translation

from accounts.models import Notification
from accounts.stepup import SecondFactor
from common.money import format_yuan
from common.pdf import minimal_pdf
from common.periods import add_months, months_between, quarter_of
from communities.models import (
    AuditEvent,
    Building,
    Compound,
    Membership,
    PropertyCompany,
    Role,
    _active_q,
)
from communities.selectors import active_company
from escrow.demo.fees import FIRST_MONTH, LAST_MONTH, SLUGS
from escrow.errors import PeriodClosedError
from escrow.models import (
    Category,
    EscrowAccount,
    Payment,
    PayoutCategory,
    PayoutRequest,
    PayoutSignature,
    PayoutStatus,
)
from escrow.payouts.services import payout_approve, payout_file, payout_pay, payout_url

# The necessary monthly costs: (expense account, purpose after "2026年3月", weight).
NECESSARY = [
    (Category.NC_STAFF, "物业服务人员工资", 0.40),
    (Category.NC_CLEANING, "保洁服务费", 0.21),
    (Category.NC_SECURITY, "秩序维护（保安）服务费", 0.25),
    (Category.NC_UTILITIES, "公共区域水电费", 0.14),
]
# Repairs: (purpose, with {b} a building, contractor).
REPAIRS = [
    ("{b}屋面防水维修", "咸安区鑫达防水工程队"),
    ("{b}1单元楼道照明线路更换", "咸宁市利民水电维修部"),
    ("{b}1单元门禁对讲系统维修", "咸宁市安居门禁设备维修部"),
    ("{b}外墙脱落瓷砖修补", "咸安区顺发建筑装饰队"),
    ("地下车库排水泵更换", "咸宁市利民水电维修部"),
    ("{b}二次供水水泵维修", "咸宁市利民水电维修部"),
    ("{b}消防栓及喷淋管道维修", "咸宁市安泰消防设备维修部"),
    ("小区主干道破损路面修补", "咸安区顺发建筑装饰队"),
    ("{b}雨水管及检查井疏通", "咸宁市利民水电维修部"),
]
# The third quarter's repair: submitted before the quarter ended, paid after the holiday.
Q3_REPAIR_SUBMITTED = dt.date(2026, 9, 28)
Q3_REPAIR_PAID = dt.date(2026, 10, 8)
# Requests left in flight in the last seeded month: slug → final state of its repair.
IN_FLIGHT = {
    "shangcheng": PayoutStatus.REVIEWED,
    "yinquan": PayoutStatus.SUBMITTED,
    "longquan": PayoutStatus.REVIEWED,
    "dangui": PayoutStatus.SUBMITTED,
    "ganhe": PayoutStatus.REVIEWED,
}
STEPS = ("submit", "review", "review", "recheck", "pay")
STEPS_TO = {PayoutStatus.SUBMITTED: 1, PayoutStatus.REVIEWED: 3, PayoutStatus.PAID: 5}
REVIEW_COMMENTS = ["已核对发票，同意", "同意", "金额与合同一致，同意", "已现场查看，同意"]


# --------------------------------------------------------------------------- who


@dataclass(frozen=True)
class Cast:
    """Who files, signs and pays in one compound."""

    company: PropertyCompany
    applicant: object
    applicant_since: dt.date
    reviewers: tuple
    official: object
    payer: object


def _holders(role: str, **where):
    """Memberships in force today with this role, by phone (so the demo log-ins come first)."""
    return list(
        Membership.objects.filter(_active_q(), role=role, **where)
        .select_related("user")
        .order_by("user__phone", "pk")
    )


def _official_membership(compound: Compound) -> Membership | None:
    committee = {m.user_id for m in _holders(Role.COMMITTEE_MEMBER, compound=compound)} | {
        m.user_id for m in _holders(Role.COMMITTEE_CHAIR, compound=compound)
    }
    for membership in _holders(Role.COMMUNITY_OFFICIAL, community=compound.community, compound__isnull=True):
        if membership.user_id not in committee:
            return membership
    return None


def official_of(compound: Compound):
    """The community official who rechecks and publishes for this compound (not one who
    also sits on its committee)."""
    membership = _official_membership(compound)
    return membership.user if membership else None


def cast_of(compound: Compound) -> tuple[Cast | None, str]:
    """The compound's cast, or None and why not."""
    company = active_company(compound)
    if company is None:
        return None, "no property company under contract"
    staff = _holders(Role.COMPANY_STAFF, compound=compound, company=company)
    members = _holders(Role.COMMITTEE_MEMBER, compound=compound)
    chairs = _holders(Role.COMMITTEE_CHAIR, compound=compound)
    official = _official_membership(compound)
    if not staff or len(members) < 2 or not chairs or official is None:
        return None, "needs a staff member of its company, two committee members, a chair and an official"
    signers = [*members[:2], chairs[0], official]
    late = [m for m in signers if m.start_date > FIRST_MONTH]
    if late:
        return (
            None,
            f"{late[0].user.display_name}'s role starts on {late[0].start_date}, after the account opened",
        )
    return (
        Cast(
            company=company,
            applicant=staff[0].user,
            applicant_since=staff[0].start_date,
            reviewers=(members[0].user, members[1].user),
            official=official.user,
            payer=chairs[0].user,
        ),
        "",
    )


# --------------------------------------------------------------------------- what


@dataclass
class Plan:
    """One request and the moments (local, aware) of its steps, up to its final state."""

    purpose: str
    category: str
    expense_account: str
    payee_name: str
    payee_company: PropertyCompany | None
    amount_fen: int
    moments: list[dt.datetime]
    final: str = PayoutStatus.PAID
    reference: str = ""
    steps_done: int = 0
    payout: PayoutRequest | None = field(default=None, repr=False)


def _at(day: dt.date, rng: random.Random, first_hour: int = 9, last_hour: int = 17) -> dt.datetime:
    moment = dt.datetime.combine(day, dt.time(rng.randint(first_hour, last_hour - 1), rng.randint(0, 59)))
    return timezone.make_aware(moment)


def _income_by_month(compound: Compound) -> dict[dt.date, int]:
    income: dict[dt.date, int] = {}
    for received_on, amount in Payment.objects.filter(compound=compound).values_list(
        "received_on", "amount_fen"
    ):
        month = received_on.replace(day=1)
        income[month] = income.get(month, 0) + amount
    return income


def _split(total: int, rng: random.Random) -> list[int]:
    """The month's necessary costs over the four accounts, weights jittered; whole fen."""
    weights = [w * rng.uniform(0.85, 1.15) for _a, _p, w in NECESSARY]
    amounts = [int(total * w / sum(weights)) for w in weights]
    return amounts


def _account_number(name: str) -> str:
    return f"6217{zlib.crc32(name.encode()) % 10**12:012d}018"


def plans_for(compound: Compound, cast: Cast, today: dt.date) -> list[Plan]:
    """Every request of the compound from the account's first month to the last seeded
    month that has begun: a pure function of the compound and its receipts."""
    slug = compound.slug
    last = min(LAST_MONTH, today.replace(day=1))
    months = months_between(FIRST_MONTH, last)
    income = _income_by_month(compound)
    buildings = list(Building.objects.filter(compound=compound).order_by("sort_key", "name"))
    jobs = list(REPAIRS)
    random.Random(zlib.crc32(f"repairs:{slug}".encode())).shuffle(jobs)  # noqa: S311 - demo data
    # The month of each quarter's repair: the in-flight month, September for Q3 2026,
    # otherwise a month of the quarter chosen by the quarter's own seed.
    repair_month: dict[tuple[int, int], dt.date] = {}
    for month in months:
        repair_month.setdefault(quarter_of(month), month)
    for quarter in repair_month:
        in_quarter = [m for m in months if quarter_of(m) == quarter]
        if quarter_of(last) == quarter:
            repair_month[quarter] = last
        elif quarter == quarter_of(Q3_REPAIR_SUBMITTED) and Q3_REPAIR_SUBMITTED.replace(day=1) in in_quarter:
            repair_month[quarter] = Q3_REPAIR_SUBMITTED.replace(day=1)
        else:
            pick = random.Random(zlib.crc32(f"repair-month:{slug}:{quarter}".encode()))  # noqa: S311
            repair_month[quarter] = pick.choice(in_quarter)
    plans: list[Plan] = []
    company = cast.company
    put_by = 0  # what the compound has kept so far: receipts − payouts
    for month in months:
        rng = random.Random(zlib.crc32(f"payouts:{slug}:{month:%Y-%m}".encode()))  # noqa: S311 - demo data
        received = income.get(month, 0)
        label = f"{month.year}年{month.month}月"
        if received > 0:
            share = rng.uniform(0.55, 0.70)
            submit_day = max(month.replace(day=rng.randint(20, 22)), cast.applicant_since)
            pay_day = max(month.replace(day=rng.randint(26, 28)), submit_day + dt.timedelta(days=4))
            for (account, what, _w), amount in zip(
                NECESSARY, _split(round(received * share), rng), strict=True
            ):
                moments = [
                    _at(submit_day, rng, 9, 12),
                    _at(submit_day + dt.timedelta(days=1), rng),
                    _at(submit_day + dt.timedelta(days=2), rng),
                    _at(submit_day + dt.timedelta(days=3), rng),
                    _at(pay_day, rng, 9, 16),
                ]
                plan = Plan(
                    purpose=f"{label}{what}",
                    category=PayoutCategory.NECESSARY_COST,
                    expense_account=account,
                    payee_name=company.name,
                    payee_company=company,
                    amount_fen=amount,
                    moments=moments,
                )
                if month == last and slug == "shangcheng" and account == Category.NC_UTILITIES:
                    plan.final = PayoutStatus.SUBMITTED  # the committee's queue in the log-in compound
                plans.append(plan)
                put_by -= amount
            put_by += received
        quarter = quarter_of(month)
        if repair_month[quarter] != month:
            continue
        job, contractor = jobs[len([p for p in plans if p.category == PayoutCategory.REPAIR]) % len(jobs)]
        building = rng.choice(buildings).name if buildings else "1栋"
        wanted = rng.randint(200, 800) * 1000  # ¥2,000–¥8,000, in ¥10 steps
        amount = min(wanted, int(put_by * 0.4) // 1000 * 1000)
        if amount < 300_00:
            continue
        if month == last:
            submit = max(month.replace(day=rng.randint(16, 19)), cast.applicant_since)
            final = IN_FLIGHT.get(slug, PayoutStatus.SUBMITTED)
            days = [submit, *(submit + dt.timedelta(days=n) for n in (1, 2, 5, 7))]
        elif month == Q3_REPAIR_SUBMITTED.replace(day=1):
            final = PayoutStatus.PAID
            days = [
                Q3_REPAIR_SUBMITTED,
                Q3_REPAIR_SUBMITTED + dt.timedelta(days=1),
                Q3_REPAIR_SUBMITTED + dt.timedelta(days=2),
                Q3_REPAIR_PAID,
                Q3_REPAIR_PAID,
            ]
        else:
            submit = max(month.replace(day=rng.randint(5, 12)), cast.applicant_since)
            final = PayoutStatus.PAID
            gaps = (1, 2, 4, rng.randint(6, 10))
            if submit + dt.timedelta(days=gaps[-1]) >= add_months(month, 1):
                gaps = (1, 2, 3, 4)  # late in the month (a new contract): paid within the quarter
            days = [submit, *(submit + dt.timedelta(days=n) for n in gaps)]
        moments = [_at(day, rng, 9 + 4 * (n == 4), 13 + 4 * (n == 4)) for n, day in enumerate(days)]
        plans.append(
            Plan(
                purpose=job.format(b=building),
                category=PayoutCategory.REPAIR,
                expense_account=Category.REPAIRS,
                payee_name=contractor,
                payee_company=None,
                amount_fen=amount,
                moments=moments,
                final=final,
            )
        )
        put_by -= amount
    for number, plan in enumerate(plans, start=1):
        plan.reference = f"ZGYH{plan.moments[-1]:%Y%m%d}{zlib.crc32(slug.encode()) % 100:02d}{number:04d}"
    return plans


# --------------------------------------------------------------------------- how


class _Clock:
    """What ``timezone.now()`` answers while history is replayed."""

    def __init__(self):
        self.moment: dt.datetime = timezone.now()

    def __call__(self) -> dt.datetime:
        return self.moment


@contextmanager
def _replaying(clock: _Clock):
    """Set the clock back (see the module docstring): ``timezone.now`` and the field
    defaults that captured it answer ``clock``; no e-mail; the site's default language.
    The patch is process-wide: only for the seed_demo command, never from a web process."""
    with ExitStack() as stack:
        stack.enter_context(mock.patch("django.utils.timezone.now", clock))
        for model, name in ((PayoutSignature, "signed_at"), (AuditEvent, "created_at")):
            stack.enter_context(mock.patch.object(model._meta.get_field(name), "_get_default", clock))
        stack.enter_context(quietly())
        stack.enter_context(translation.override(settings.LANGUAGE_CODE))
        yield


@contextmanager
def quietly():
    """The demo's notifications stay in the inbox; none is e-mailed. The (eager) e-mail
    tasks' and the PDF renderer's progress logs are held back: hundreds of lines."""
    loggers = [
        logging.getLogger(name)
        for name in ("celery.app.trace", "weasyprint", "fontTools", "kombu.connection")
    ]
    levels = [logger.level for logger in loggers]
    try:
        for logger in loggers:
            logger.setLevel(max(logger.getEffectiveLevel(), logging.ERROR))
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _invoice(compound: Compound, plan: Plan) -> SimpleUploadedFile:
    day = plan.moments[0]
    text = f"INVOICE {compound.slug.upper()} {day:%Y-%m-%d} {plan.expense_account} CNY {plan.amount_fen / 100:.2f}"
    return SimpleUploadedFile(f"发票-{plan.purpose}.pdf", minimal_pdf(text), content_type="application/pdf")


def _progress(payout: PayoutRequest) -> int:
    """How many of STEPS the request has taken (all of them once it is decided)."""
    if payout.status == PayoutStatus.SUBMITTED:
        return 1 + payout.signatures.count()
    return {PayoutStatus.REVIEWED: 3, PayoutStatus.RECHECKED: 4}.get(payout.status, len(STEPS))


def _take_step(compound: Compound, cast: Cast, plan: Plan, step: int, now: dt.datetime) -> None:
    kind = STEPS[step]
    proof = SecondFactor(method="totp", at=now)
    if kind == "submit":
        plan.payout = payout_file(
            compound=compound,
            actor=cast.applicant,
            attachments=[("invoice", _invoice(compound, plan))],
            submit=True,
            category=plan.category,
            expense_account=plan.expense_account,
            payee_name=plan.payee_name,
            payee_account=_account_number(plan.payee_name),
            payee_company=plan.payee_company,
            amount_fen=plan.amount_fen,
            purpose=plan.purpose,
        )
    elif kind == "review":
        reviewer = cast.reviewers[step - 1]
        comment = REVIEW_COMMENTS[zlib.crc32(f"{plan.purpose}{step}".encode()) % len(REVIEW_COMMENTS)]
        plan.payout = payout_approve(payout=plan.payout, actor=reviewer, second_factor=proof, comment=comment)
    elif kind == "recheck":
        plan.payout = payout_approve(
            payout=plan.payout, actor=cast.official, second_factor=proof, comment="复核同意"
        )
    else:
        plan.payout = payout_pay(
            payout=plan.payout,
            actor=cast.payer,
            bank_reference=plan.reference,
            payment_date=timezone.localtime(now).date(),
            second_factor=proof,
        )


def _replay(compound: Compound, cast: Cast, plans: list[Plan], real_now: dt.datetime) -> dict:
    """Take every step that has fallen due and not been taken, in time order."""
    existing = {p.purpose: p for p in PayoutRequest.objects.filter(compound=compound)}
    for plan in plans:
        plan.payout = existing.get(plan.purpose)
        plan.steps_done = _progress(plan.payout) if plan.payout else 0
    today = timezone.localdate(real_now)
    events = sorted(
        (moment, index, step)
        for index, plan in enumerate(plans)
        for step, moment in enumerate(plan.moments[: STEPS_TO[plan.final]])
        if step >= plan.steps_done and moment.date() <= today
    )
    counts = {"filed": 0, "steps": 0, "closed": 0}
    last_moment: dict[int, dt.datetime] = {}
    clock = _Clock()
    touched: set[int] = set()
    with _replaying(clock):
        for moment, index, step in events:
            plan = plans[index]
            if plan.steps_done != step:  # an earlier step was skipped (books closed)
                continue
            # A step "today" is stamped no later than now, and never before the previous one.
            clock.moment = max(last_moment.get(index, moment), min(moment, real_now))
            try:
                _take_step(compound, cast, plan, step, clock())
            except PeriodClosedError:
                counts["closed"] += 1
                continue
            last_moment[index] = clock.moment
            plan.steps_done += 1
            counts["steps"] += 1
            counts["filed"] += step == 0
            touched.add(index)
    # Inbox items about requests that are paid are history: read when they arrived.
    urls = [
        payout_url(plans[i].payout)
        for i in touched
        if plans[i].payout.status in (PayoutStatus.PAID, PayoutStatus.REJECTED)
    ]
    if urls:
        Notification.objects.filter(
            compound=compound, url__in=[u for u in urls if u], read_at__isnull=True
        ).update(read_at=F("created_at"))
    return counts


# --------------------------------------------------------------------------- entry point


def seed_payouts_demo(*, stdout=None) -> dict:
    """File, sign and pay a year of payouts in the pilots. Returns {slug: counts};
    prints one line per compound."""
    out = stdout or sys.stdout
    started = time.perf_counter()
    real_now = timezone.now()
    today = timezone.localdate(real_now)
    summary = {}
    for slug in SLUGS:
        compound = Compound.objects.filter(slug=slug).select_related("community").first()
        if compound is None or not EscrowAccount.objects.filter(compound=compound).exists():
            out.write(f"  payouts demo: no compound “{slug}” with an escrow account, skipped\n")
            continue
        cast, why = cast_of(compound)
        if cast is None:
            out.write(f"  payouts {compound.name}: skipped ({why})\n")
            continue
        plans = plans_for(compound, cast, today)
        counts = _replay(compound, cast, plans, real_now)
        requests = PayoutRequest.objects.filter(compound=compound)
        paid = requests.filter(status=PayoutStatus.PAID)
        total_paid = sum(paid.values_list("amount_fen", flat=True))
        in_flight = requests.filter(status__in=(PayoutStatus.SUBMITTED, PayoutStatus.REVIEWED)).count()
        to_pay = requests.filter(status=PayoutStatus.RECHECKED).count()
        summary[slug] = {**counts, "paid": paid.count(), "in_flight": in_flight, "to_pay": to_pay}
        closed = f", {counts['closed']} skipped (books closed)" if counts["closed"] else ""
        out.write(
            f"  payouts {compound.name:<6} paid {paid.count():>3} ({format_yuan(total_paid):>13})  "
            f"in flight {in_flight}  waiting for payment {to_pay}  "
            f"{counts['filed']:>3} new requests, {counts['steps']:>4} new steps{closed}\n"
        )
    out.write(f"  payouts demo: {time.perf_counter() - started:.1f}s\n")
    return summary
