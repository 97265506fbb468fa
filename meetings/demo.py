"""Demo meetings for the five Fushan pilots: a year of "议题共商、方案共议、落实共督".

Over the demo year (January – November 2026) the pilots hold **23 joint and expanded
committee meetings** (尚城国际 6, the others 4–5 each). Each takes up one residents'
topic: an owner or steward raises it, the secretary (or, where a compound has none,
the community official) puts it on the agenda, the meeting opens with its quorum, the
minutes and a numbered resolution are recorded, the company (or committee, or
community) gets an action item, the minutes are confirmed by one person of each party
present and published. **18 topics end resolved**: their action items were reported
done and confirmed by the two other parties; the last meeting of each compound leaves
its action item in progress (one of them overdue, so the reminder shows). A few more
topics wait for triage, one was declined with its reason and one merged.

尚城国际 also holds **one owners' assembly** (业主大会) that renews 华懋物业 (Civil Code
art. 278 item 4): every flat gets an owner on record (some people own two flats, a few
flats have two co-owners), owners vote online, a few on paper (entered by the
secretary, confirmed by a committee member) and by proxy, and the vote passes both
thresholds; the assembly records the resolution that cites the counted vote.

Everything goes through the services, with the clock set back to each step's moment
(``_replaying``, the same technique as ``escrow/demo/payouts.py``: ``timezone.now`` is
patched; the meetings models' defaults read the clock at call time). A step whose
moment is after the real now is left for a later run. Deterministic (choices seeded
by compound and flat, never by database ids) and idempotent: topics and meetings are
found again by compound and title, and only the missing steps are done.

Call it after the people exist (seed_demo's ``_seed_other_compounds_people`` stage):
``from meetings.demo import seed_meetings_demo; seed_meetings_demo(stdout=self.out)``.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
import zlib
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from unittest import mock

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from accounts.models import User
from communities import services as community_services
from communities.models import AuditEvent, Compound, Membership, Role, Unit, UnitOwnership, _active_q
from communities.selectors import active_company
from meetings import services, votes
from meetings.models import (
    ActionItem,
    ActionStatus,
    Ballot,
    Meeting,
    MeetingKind,
    MeetingStatus,
    OwnersVote,
    Resolution,
    Topic,
    TopicStatus,
    VoteStatus,
)

SLUGS = ["shangcheng", "yinquan", "longquan", "dangui", "ganhe"]
MEETINGS_PER_COMPOUND = {"shangcheng": 6, "yinquan": 5, "longquan": 4, "dangui": 4, "ganhe": 4}
OWNER_PHONE_BASE = {slug: 1371_000_0000 + n * 10_000 for n, slug in enumerate(SLUGS)}

# (topic title, what the resident wrote, minutes, resolution, action item, responsible party)
TOPICS = [
    (
        "电梯频繁停运",
        "3栋电梯一周停了三次，老人上下楼困难。",
        "物业说明主板老化，三方商定更换主板并请维保单位驻场一周。",
        "同意由物业更换3栋电梯主板，费用从维修资金列支。",
        "更换3栋电梯主板并完成年检",
        "company",
    ),
    (
        "地下车库积水",
        "雨后车库B区积水没过脚踝。",
        "物业查明排水泵损坏；社区协调市政疏通外网。",
        "更换车库排水泵，社区协调疏通小区外雨水管网。",
        "更换车库B区排水泵",
        "company",
    ),
    (
        "楼道堆放杂物",
        "5栋楼道堆满纸箱和旧家具，存在消防隐患。",
        "管家与楼栋党小组入户劝导，物业清运。",
        "开展楼道杂物集中清理，建立每月巡查。",
        "清理5栋楼道杂物并建立巡查台账",
        "company",
    ),
    (
        "路灯不亮",
        "北门至2栋的路灯坏了半个月。",
        "物业承诺一周内维修。",
        "维修北门至2栋路灯。",
        "更换北门路灯线路",
        "company",
    ),
    (
        "垃圾清运不及时",
        "夏天垃圾桶满溢，有异味。",
        "物业调整清运时间为每日两次。",
        "垃圾清运改为每日早晚两次，业委会每周抽查。",
        "调整垃圾清运频次",
        "company",
    ),
    (
        "外墙瓷砖脱落",
        "7栋外墙瓷砖掉落，险些砸到行人。",
        "社区联系住建部门检测，物业设置围挡。",
        "设置安全围挡并委托检测外墙，检测后制定维修方案。",
        "设置围挡并完成外墙安全检测",
        "company",
    ),
    (
        "绿化带被占用种菜",
        "东侧绿化带被个别住户开垦种菜。",
        "业委会与住户沟通，恢复绿化。",
        "恢复东侧绿化带，纳入管理规约宣传。",
        "恢复东侧绿化带",
        "committee",
    ),
    (
        "充电桩不足",
        "电动车充电难，有人飞线充电。",
        "三方商定在南侧车棚加装充电桩。",
        "在南侧车棚加装20个充电桩，收费标准公示。",
        "加装南侧车棚充电桩",
        "company",
    ),
    (
        "门禁卡失灵",
        "单元门禁经常刷不开。",
        "物业更换门禁读卡器。",
        "更换故障门禁读卡器。",
        "更换各单元门禁读卡器",
        "company",
    ),
    (
        "公共区域监控盲区",
        "车棚没有监控，电动车电瓶被盗。",
        "物业补装监控，社区联系派出所加强巡逻。",
        "车棚补装监控四路。",
        "车棚补装监控",
        "company",
    ),
    (
        "物业费公示看不懂",
        "季度公示太专业，老人看不懂。",
        "社区组织解读会，业委会制作简明版。",
        "每季度召开一次公示解读会。",
        "编制简明版季度公示并召开解读会",
        "committee",
    ),
    (
        "儿童游乐设施损坏",
        "滑梯有裂缝，孩子容易受伤。",
        "物业立即停用并更换。",
        "更换损坏的儿童滑梯。",
        "更换儿童滑梯",
        "company",
    ),
    (
        "高层水压不足",
        "15楼以上早晚用水水压低。",
        "物业检修二次供水泵房。",
        "检修并调试二次供水设备。",
        "检修二次供水泵房",
        "company",
    ),
    (
        "宠物粪便影响环境",
        "草坪上狗粪多。",
        "管家倡议文明养犬，物业增设拾便箱。",
        "增设拾便箱并开展文明养犬宣传。",
        "增设宠物拾便箱",
        "community",
    ),
    (
        "消防通道被占",
        "消防通道常有私家车停放。",
        "物业施划禁停标线，社区联合交警劝导。",
        "施划消防通道禁停标线并安装警示牌。",
        "施划消防通道标线",
        "company",
    ),
    (
        "小区大门道闸故障",
        "道闸经常抬不起来，车辆排队。",
        "物业联系厂家维修。",
        "维修大门道闸系统。",
        "维修大门道闸",
        "company",
    ),
    (
        "装修噪音扰民",
        "周末早上装修噪音大。",
        "物业重申装修时间规定并巡查。",
        "装修施工时间公示，违者由物业劝止。",
        "公示装修管理规定并巡查",
        "company",
    ),
    (
        "雨棚漏水",
        "2栋单元入口雨棚漏水。",
        "物业修补防水层。",
        "修补2栋入口雨棚防水层。",
        "修补2栋雨棚",
        "company",
    ),
    (
        "老旧管道锈蚀",
        "地下室主水管锈蚀渗水。",
        "三方商定申请维修资金更换。",
        "更换地下室锈蚀主水管。",
        "更换地下室主水管",
        "company",
    ),
    (
        "快递柜占用消防通道",
        "快递柜摆在消防通道旁。",
        "物业协调快递柜移位。",
        "快递柜迁至西门空地。",
        "迁移快递柜",
        "company",
    ),
    (
        "楼道感应灯不亮",
        "多个楼层感应灯坏了。",
        "物业逐楼排查更换。",
        "更换楼道感应灯。",
        "更换楼道感应灯",
        "company",
    ),
    (
        "健身器材老化",
        "健身区器材生锈。",
        "社区申请体育器材更新。",
        "由社区申请更新健身器材。",
        "申请并安装新健身器材",
        "community",
    ),
    ("化粪池堵塞", "化粪池返味严重。", "物业安排清掏。", "清掏化粪池并定期维护。", "清掏化粪池", "company"),
]
# Titles are stored text: written in Chinese whatever language the seed runs in.
KIND_NAMES = {MeetingKind.JOINT: "联席会议", MeetingKind.EXPANDED: "业委会扩大会议"}
# Topics raised but not (yet) taken up: waiting for triage.
WAITING = ["单元门口台阶破损", "希望增设休闲座椅", "楼顶太阳能热水器漏水", "电瓶车乱停放", "小区广播音量太大"]


@dataclass
class Cast:
    """Who acts in a compound (found by role, as the payouts demo does)."""

    compound: Compound
    keeper: User  # secretary, or the community official: convenes, triages, keeps minutes
    official: User
    chair: User
    members: list[User]
    staff: User
    stewards: list[User]
    owner_rep: User | None
    raisers: list[User]


def _holders(role: str, **where) -> list[User]:
    rows = (
        Membership.objects.filter(_active_q(), role=role, **where)
        .select_related("user")
        .order_by("user__phone", "pk")
    )
    out, seen = [], set()
    for m in rows:
        if m.user_id not in seen:
            seen.add(m.user_id)
            out.append(m.user)
    return out


def cast_of(compound: Compound) -> tuple[Cast | None, str]:
    company = active_company(compound)
    committee = {u.pk for u in _holders(Role.COMMITTEE_MEMBER, compound=compound)}
    chairs = _holders(Role.COMMITTEE_CHAIR, compound=compound)
    members = [
        u for u in _holders(Role.COMMITTEE_MEMBER, compound=compound) if u.pk not in {c.pk for c in chairs}
    ]
    officials = [
        u
        for u in _holders(Role.COMMUNITY_OFFICIAL, community=compound.community, compound__isnull=True)
        if u.pk not in committee
    ]
    secretaries = _holders(Role.COMMUNITY_SECRETARY, community=compound.community, compound=compound)
    staff = _holders(Role.COMPANY_STAFF, compound=compound, company=company) if company else []
    stewards = _holders(Role.STEWARD, compound=compound)
    reps = _holders(Role.OWNER_REP, compound=compound)
    if not (chairs and len(members) >= 2 and officials and staff):
        return None, "needs a chair, two committee members, a community official and company staff"
    return (
        Cast(
            compound=compound,
            keeper=secretaries[0] if secretaries else officials[0],
            official=officials[0],
            chair=chairs[0],
            members=members,
            staff=staff[0],
            stewards=stewards,
            owner_rep=reps[0] if reps else None,
            raisers=[],
        ),
        "",
    )


# --------------------------------------------------------------------------- the clock


class _Clock:
    def __init__(self):
        self.moment = timezone.now()

    def __call__(self):
        return self.moment


@contextmanager
def _replaying(clock: _Clock):
    """``timezone.now`` answers the step's moment (and the audit events' default with it);
    no e-mail; labels in the site's default language. Only for the seed command."""
    from escrow.demo.payouts import quietly  # the demo's one way of keeping mail in the inbox

    with ExitStack() as stack:
        stack.enter_context(mock.patch("django.utils.timezone.now", clock))
        stack.enter_context(
            mock.patch.object(AuditEvent._meta.get_field("created_at"), "_get_default", clock)
        )
        stack.enter_context(quietly())
        stack.enter_context(translation.override(settings.LANGUAGE_CODE))
        yield


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


class _Steps:
    """Runs steps in time order; a step after the real now is not run (nor any after it)."""

    def __init__(self, clock: _Clock, real_now: dt.datetime):
        self.clock, self.real_now, self.stopped, self.done = clock, real_now, False, 0

    def at(self, moment: dt.datetime) -> bool:
        if self.stopped or moment > self.real_now:
            self.stopped = True
            return False
        self.clock.moment = moment
        return True


# --------------------------------------------------------------------------- owners on record


def _owner_user(slug: str, index: int, name: str) -> User:
    phone = f"+86{OWNER_PHONE_BASE[slug] + index}"
    user = User.objects.filter(phone=phone).first()
    if user is None:
        user = User.objects.create_user(phone=phone, password=None, display_name=name)
    return user


def units_in_order(compound: Compound) -> list[Unit]:
    return list(
        Unit.objects.filter(compound=compound)
        .select_related("building")
        .order_by("building__sort_key", "building__name", "entrance", "number")
    )


def owners_on_record(compound: Compound, *, every_flat: bool) -> dict[int, list[int]]:
    """Give flats without an owner on record one (every flat when ``every_flat``, else the
    first few, who raise topics): every 20th person also owns the next flat, every 30th
    flat has two co-owners. Returns unit id → owner ids."""
    since = dt.date(2016, 9, 1)
    units = units_in_order(compound)
    owned: dict[int, list[int]] = {}
    for unit_id, user_id in UnitOwnership.objects.filter(_active_q(), compound=compound).values_list(
        "unit_id", "user_id"
    ):
        owned.setdefault(unit_id, []).append(user_id)
    limit = len(units) if every_flat else 6
    previous = None
    for index, unit in enumerate(units[:limit]):
        if unit.pk in owned:
            previous = None
            continue
        if previous is not None and index % 20 == 1:
            person = previous  # the same person owns a second flat
        else:
            rng = random.Random(zlib.crc32(f"owner:{compound.slug}:{index}".encode()))  # noqa: S311 - demo data
            person = _owner_user(
                compound.slug,
                index,
                f"{rng.choice('王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗')}业主{index + 1}",
            )
        community_services.unit_owner_add(unit=unit, user=person, start_date=since, actor=None)
        owned.setdefault(unit.pk, []).append(person.pk)
        if index % 30 == 7:
            spouse = _owner_user(compound.slug, 5000 + index, f"共有人{index + 1}")
            community_services.unit_owner_add(unit=unit, user=spouse, start_date=since, actor=None)
            owned[unit.pk].append(spouse.pk)
        previous = person
    return owned


# --------------------------------------------------------------------------- one meeting


def _meeting_day(slug_index: int, k: int, n: int) -> dt.date:
    month = 1 + round(k * 10 / (n - 1))
    return dt.date(2026, month, 8 + (slug_index * 3 + k * 5) % 16)


def _topic(compound, title):
    return Topic.objects.filter(compound=compound, title=title).first()


def _run_meeting(
    cast: Cast,
    steps: _Steps,
    *,
    number: int,
    day: dt.date,
    plan: tuple,
    resolved: bool,
    raiser: User,
    due_days: int,
):
    title, body, minutes, resolution_text, action_title, party = plan
    compound = cast.compound
    kind = MeetingKind.EXPANDED if number % 3 == 2 else MeetingKind.JOINT
    topic = _topic(compound, title)
    if topic is None:
        if not steps.at(_at(day - dt.timedelta(days=12), 19, 30)):
            return
        topic = services.topic_raise(compound=compound, actor=raiser, title=title, body=body)
    meeting_title = f"{day:%Y年%-m月}{KIND_NAMES[kind]}（{title}）"
    meeting = Meeting.objects.filter(compound=compound, title=meeting_title).first()
    starts = _at(day, 14, 30)
    if meeting is None:
        if not steps.at(_at(day - dt.timedelta(days=5), 10)):
            return
        meeting = services.meeting_convene(
            compound=compound,
            actor=cast.keeper,
            kind=kind,
            title=meeting_title,
            location="社区党群服务中心会议室",
            starts_at=starts,
            topics=[topic] if topic.status == TopicStatus.OPEN else [],
        )
    if meeting.status == MeetingStatus.SCHEDULED:
        if not steps.at(starts):
            return
        present = [(cast.official, "community"), (cast.chair, "committee"), (cast.members[0], "committee")]
        present.append((cast.staff, "company"))
        if kind == MeetingKind.EXPANDED:
            present.append((cast.members[1], "committee"))
            # Stewards and owners' representatives are invited when their role had begun.
            stewards = [u for u in cast.stewards if services.party_of_role_holder(u, compound, "volunteers")]
            present += [(u, "volunteers") for u in stewards[:1]]
            if cast.owner_rep and services.party_of_role_holder(cast.owner_rep, compound, "owners"):
                present.append((cast.owner_rep, "owners"))
        for user, party_name in present:
            services.attendance_record(meeting=meeting, actor=cast.keeper, user=user, party=party_name)
        meeting = services.meeting_open(meeting=meeting, actor=cast.keeper)
    if meeting.status == MeetingStatus.OPEN:
        if not steps.at(starts + dt.timedelta(minutes=50)):
            return
        item = meeting.agenda.get(topic=topic)
        services.minutes_record(agenda_item=item, text=minutes, actor=cast.keeper)
        present = meeting.attendance.filter(present=True).count()
        resolution = services.resolution_record(
            agenda_item=item,
            number=f"{compound.slug.upper()}-{day:%Y}-{number:02d}",
            text=resolution_text,
            votes_for=present,
            actor=cast.keeper,
        )
        responsible = {"company": cast.staff, "committee": cast.chair, "community": cast.official}[party]
        services.action_item_create(
            resolution=resolution,
            title=action_title,
            responsible_party=party,
            responsible_person=responsible,
            due_date=day + dt.timedelta(days=due_days),
            actor=cast.keeper,
        )
        meeting = services.meeting_close(meeting=meeting, actor=cast.keeper)
    if meeting.status == MeetingStatus.CLOSED:
        confirmed = set(meeting.confirmations.values_list("party", flat=True))
        for moment_minutes, row in enumerate(meeting.attendance.filter(present=True).order_by("pk")):
            if row.party in confirmed:
                continue
            if not steps.at(_at(day + dt.timedelta(days=1), 9, moment_minutes)):
                return
            services.minutes_confirm(meeting=meeting, actor=row.user)
            confirmed.add(row.party)
        meeting.refresh_from_db()
    for action in ActionItem.objects.filter(resolution__meeting=meeting).order_by("pk"):
        _carry_out(cast, steps, action, resolved=resolved)


def _carry_out(cast: Cast, steps: _Steps, action: ActionItem, *, resolved: bool) -> None:
    due = action.due_date
    if not action.progress.exists():
        if not steps.at(_at(due - dt.timedelta(days=12), 16)):
            return
        services.action_progress_add(
            action_item=action, note="已开始实施，材料已到场。", actor=action.responsible_person
        )
    if not resolved:
        return
    if action.status == ActionStatus.OPEN:
        if not steps.at(_at(due - dt.timedelta(days=3), 16)):
            return
        services.action_progress_add(
            action_item=action, note="已完成，请验收。", actor=action.responsible_person
        )
        services.action_claim_done(action_item=action, actor=action.responsible_person)
        action.refresh_from_db()
    confirmers = {"company": cast.staff, "committee": cast.chair, "community": cast.official}
    done = set(action.confirmations.values_list("party", flat=True))
    for offset, party in enumerate(
        p for p in ("committee", "community", "company") if p != action.responsible_party
    ):
        if party in done:
            continue
        if not steps.at(_at(due - dt.timedelta(days=2 - offset), 10)):
            return
        services.action_confirm_done(action_item=action, actor=confirmers[party], party=party)


# --------------------------------------------------------------------------- the assembly vote

ASSEMBLY_DAY = dt.date(2026, 10, 12)
ASSEMBLY_TITLE = "2026年业主大会（续聘物业服务企业）"
VOTE_TITLE = "是否续聘华懋物业为尚城国际物业服务企业（合同期三年）"


def _proxy_document() -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    return SimpleUploadedFile("委托书.pdf", body, content_type="application/pdf")


def _assembly(cast: Cast, steps: _Steps, owned: dict[int, list[int]]) -> OwnersVote | None:
    compound = cast.compound
    meeting = Meeting.objects.filter(compound=compound, title=ASSEMBLY_TITLE).first()
    starts = _at(ASSEMBLY_DAY, 14, 30)
    closes = _at(ASSEMBLY_DAY, 16, 0)
    if meeting is None:
        if not steps.at(_at(ASSEMBLY_DAY - dt.timedelta(days=20), 10)):
            return None
        meeting = services.meeting_convene(
            compound=compound,
            actor=cast.chair,
            kind=MeetingKind.ASSEMBLY,
            title=ASSEMBLY_TITLE,
            location="小区中心广场",
            starts_at=starts,
            items=["续聘物业服务企业"],
        )
    vote = OwnersVote.objects.filter(compound=compound, title=VOTE_TITLE).first()
    if vote is None:
        if not steps.at(_at(ASSEMBLY_DAY - dt.timedelta(days=20), 10, 5)):
            return None
        vote = votes.vote_open(
            compound=compound, actor=cast.chair, title=VOTE_TITLE, matter=4, closes_at=closes, meeting=meeting
        )
    if vote.status == VoteStatus.OPEN:
        _ballots(cast, steps, vote, owned)
    if meeting.status == MeetingStatus.SCHEDULED:
        if not steps.at(starts):
            return vote
        people = [(cast.chair, "committee"), (cast.official, "community")]
        if cast.owner_rep:
            people.append((cast.owner_rep, "owners"))
        for user, party in people:
            services.attendance_record(meeting=meeting, actor=cast.keeper, user=user, party=party)
        meeting = services.meeting_open(meeting=meeting, actor=cast.keeper)
    if vote.status == VoteStatus.OPEN:
        if not steps.at(closes + dt.timedelta(minutes=5)):
            return vote
        vote = votes.vote_close(vote=vote, actor=cast.chair)
    if meeting.status == MeetingStatus.OPEN:
        if not steps.at(closes + dt.timedelta(minutes=10)):
            return vote
        item = meeting.agenda.first()
        services.minutes_record(
            agenda_item=item, text="业主大会宣布表决结果：同意续聘华懋物业，合同期三年。", actor=cast.keeper
        )
        if not Resolution.objects.filter(owners_vote=vote).exists():
            services.resolution_record(
                agenda_item=item,
                number="SHANGCHENG-2026-OA-01",
                text="续聘华懋物业为尚城国际物业服务企业，合同期三年（依《民法典》第二百七十八条第一款第四项表决通过）。",
                owners_vote=vote,
                actor=cast.keeper,
            )
        meeting = services.meeting_close(meeting=meeting, actor=cast.keeper)
    if meeting.status == MeetingStatus.CLOSED:
        confirmed = set(meeting.confirmations.values_list("party", flat=True))
        for minute, row in enumerate(meeting.attendance.filter(present=True).order_by("pk")):
            if row.party not in confirmed and steps.at(_at(ASSEMBLY_DAY + dt.timedelta(days=1), 9, minute)):
                services.minutes_confirm(meeting=meeting, actor=row.user)
    return vote


def _ballots(cast: Cast, steps: _Steps, vote: OwnersVote, owned: dict[int, list[int]]) -> None:
    """About 88 % of the flats vote; nine in ten agree. Paper ballots for every 25th flat,
    a proxy for every 60th."""
    compound = cast.compound
    done = set(Ballot.objects.filter(vote=vote).values_list("unit_id", flat=True))
    users = {u.pk: u for u in User.objects.filter(pk__in={p for ids in owned.values() for p in ids})}
    start = _at(ASSEMBLY_DAY - dt.timedelta(days=19), 8)
    units = units_in_order(compound)
    for index, unit in enumerate(units):
        seed = zlib.crc32(
            f"ballot:{compound.slug}:{unit.building.name}:{unit.entrance}:{unit.number}".encode()
        )
        rng = random.Random(seed)  # noqa: S311 - demo data
        if rng.random() >= 0.88 or unit.pk in done or unit.pk not in owned:
            continue
        roll = rng.random()
        choice = "agree" if roll < 0.9 else ("disagree" if roll < 0.96 else "abstain")
        owner = users[min(owned[unit.pk])]
        moment = start + dt.timedelta(minutes=int(index * 18 * 24 * 60 / len(units)))
        if not steps.at(moment):
            return
        if index % 25 == 3:
            ballot = votes.ballot_enter_paper(
                vote=vote, unit=unit, choice=choice, owner=owner, actor=cast.keeper
            )
            steps.at(moment + dt.timedelta(minutes=30))
            votes.ballot_confirm_paper(ballot=ballot, actor=cast.members[0])
        elif index % 60 == 11 and cast.owner_rep and cast.owner_rep.pk not in owned[unit.pk]:
            votes.ballot_cast_by_proxy(
                vote=vote,
                unit=unit,
                choice=choice,
                owner=owner,
                document=_proxy_document(),
                actor=cast.owner_rep,
            )
        else:
            votes.ballot_cast(vote=vote, unit=unit, choice=choice, actor=owner)


# --------------------------------------------------------------------------- entry point


def seed_meetings_demo(*, stdout=None) -> dict:
    """Hold the demo year's meetings and the 尚城国际 assembly vote. Returns {slug: counts}."""
    out = stdout or sys.stdout
    started = time.perf_counter()
    real_now = timezone.now()
    clock = _Clock()
    summary: dict = {}
    plans = iter(TOPICS)
    waiting = iter(WAITING)
    with _replaying(clock):
        for slug_index, slug in enumerate(SLUGS):
            n = MEETINGS_PER_COMPOUND[slug]
            compound_plans = [next(plans) for _ in range(n)]
            extra = next(waiting)
            compound = Compound.objects.filter(slug=slug).select_related("community").first()
            if compound is None:
                out.write(f"  meetings demo: no compound “{slug}”, skipped\n")
                continue
            clock.moment = real_now  # roles as of today (the previous compound left the clock in the past)
            cast, why = cast_of(compound)
            if cast is None:
                out.write(f"  meetings {compound.name}: skipped ({why})\n")
                continue
            clock.moment = real_now
            owned = owners_on_record(compound, every_flat=slug == "shangcheng")
            raisers = [
                User.objects.get(pk=min(ids)) for _unit, ids in sorted(owned.items())[:6]
            ] + cast.stewards
            for k, plan in enumerate(compound_plans):
                steps = _Steps(clock, real_now)
                _run_meeting(
                    cast,
                    steps,
                    number=k + 1,
                    day=_meeting_day(slug_index, k, n),
                    plan=plan,
                    resolved=k < n - 1,
                    raiser=raisers[k % len(raisers)],
                    # The last, unfinished item of every other compound is overdue by now.
                    due_days=21 if k < n - 1 else (10 if slug_index % 2 else 30),
                )
            steps = _Steps(clock, real_now)
            if Topic.objects.filter(compound=compound, title=extra).first() is None and steps.at(
                _at(dt.date(2026, 11, 20), 20)
            ):
                services.topic_raise(
                    compound=compound, actor=raisers[0], title=extra, body="请三方研究解决。"
                )
            if slug == "shangcheng":
                _extras_shangcheng(cast, _Steps(clock, real_now), raisers)
                _assembly(cast, _Steps(clock, real_now), owned)
            summary[slug] = _summary(compound)
            s = summary[slug]
            out.write(
                f"  meetings {compound.name:<6} held {s['held']:>2}  topics {s['topics']:>2}  "
                f"resolved {s['resolved']:>2}  action items open {s['open_actions']}\n"
            )
    out.write(f"  meetings demo: {time.perf_counter() - started:.1f}s\n")
    return summary


def _extras_shangcheng(cast: Cast, steps: _Steps, raisers: list[User]) -> None:
    """One topic declined with its reason, one merged into an earlier one."""
    compound = cast.compound
    if not Topic.objects.filter(compound=compound, title="家里卫生间漏水").exists() and steps.at(
        _at(dt.date(2026, 6, 3), 20)
    ):
        topic = services.topic_raise(
            compound=compound, actor=raisers[1], title="家里卫生间漏水", body="楼上渗水到我家。"
        )
        steps.at(_at(dt.date(2026, 6, 4), 9))
        services.topic_decline(
            topic=topic,
            reason="属于住户之间的户内维修，已转物业报修工单并由管家上门协调。",
            actor=cast.keeper,
        )
    first = Topic.objects.filter(compound=compound, title=TOPICS[0][0]).first()
    if (
        first is not None
        and not Topic.objects.filter(compound=compound, title="电梯又停了").exists()
        and steps.at(first.created_at + dt.timedelta(days=1))
    ):
        again = services.topic_raise(
            compound=compound, actor=raisers[2], title="电梯又停了", body="3栋电梯又停。"
        )
        services.topic_merge(topic=again, into=first, actor=cast.keeper)


def _summary(compound: Compound) -> dict:
    held = Meeting.objects.filter(
        compound=compound,
        kind__in=[MeetingKind.JOINT, MeetingKind.EXPANDED],
        status__in=[MeetingStatus.OPEN, MeetingStatus.CLOSED, MeetingStatus.PUBLISHED],
    ).count()
    return {
        "held": held,
        "topics": Topic.objects.filter(compound=compound).count(),
        "resolved": Topic.objects.filter(compound=compound, status=TopicStatus.RESOLVED).count(),
        "open_actions": ActionItem.objects.filter(compound=compound)
        .exclude(status=ActionStatus.DONE)
        .count(),
        "assembly": Meeting.objects.filter(compound=compound, kind=MeetingKind.ASSEMBLY).count(),
        "passed_votes": OwnersVote.objects.filter(compound=compound, passed=True).count(),
    }
