"""Owners' decisions by Civil Code art. 278 (业主共同决定): ballots, proxies, paper
ballots, and the count.

The rule (art. 278 para. 2): owners holding at least two thirds of the exclusive area
*and* at least two thirds of the owners by headcount take part; items 6–8 then need
at least three quarters of the participating area *and* of the participating owners;
the other items more than half of both.

How we count (docs/meetings.md has the worked examples):

* **Area** is each unit's surveyed floor area (``Unit.floor_area``), counted in whole
  hundredths of a square metre (integers), so every comparison is exact.
* **Headcount**: a person counts once however many units they own, and the co-owners
  of a unit count as one owner (a unit casts one ballot). People linked by a shared
  unit form one owner. Units with nobody on record count together as one owner (the
  developer, as the Supreme People's Court's interpretation counts unsold units).
* **Participation** is a counted ballot: agree, disagree or abstain. Abstaining takes
  part; not voting does not, and never counts as agreeing.
* An owner whose units' ballots differ takes part but agrees only if all agree
  (counted as "split", never as agreeing).
* A paper ballot counts only once a second person confirmed what the first entered.

Every comparison is integer arithmetic (a×3 ≥ b×2 …); no float anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ConflictError, PermissionDeniedError
from communities.audit import audit_record
from communities.models import Compound, Unit, UnitOwnership, _active_q
from communities.permissions import Capability, standing_in
from meetings.models import (
    SUPERMAJORITY_MATTERS,
    Art278Matter,
    Ballot,
    BallotChannel,
    BallotChoice,
    Meeting,
    MeetingKind,
    OwnersVote,
    VoteStatus,
)

RESULT_FORMAT = "gongguan-owners-vote/1"
DEVELOPER = "developer"


def _refuse(field_name: str, message: str) -> ValidationError:
    return ValidationError({field_name: [message]})


def area_centi(value) -> int:
    """Floor area in whole hundredths of a m² (the field has two decimals: exact)."""
    return int(value * 100)


# --------------------------------------------------------------------------- the count (pure)


@dataclass(frozen=True)
class RollUnit:
    """One unit of the roll: its id, area (centi-m²) and the people on its title."""

    unit_id: int
    area: int
    owners: frozenset[int]


@dataclass
class Tally:
    matter: int
    total_area: int
    total_owners: int
    participating_area: int = 0
    participating_owners: int = 0
    area_by_choice: dict[str, int] = field(default_factory=dict)
    owners_by_choice: dict[str, int] = field(default_factory=dict)
    owner_of_unit: dict[int, int] = field(default_factory=dict)

    @property
    def supermajority(self) -> bool:
        return self.matter in SUPERMAJORITY_MATTERS

    @property
    def participation_met(self) -> bool:
        # ≥ 2/3 of the area and ≥ 2/3 of the owners: exactly two thirds is enough.
        return (
            self.total_area > 0
            and self.participating_area * 3 >= self.total_area * 2
            and self.participating_owners * 3 >= self.total_owners * 2
        )

    @property
    def majority_met(self) -> bool:
        agree_area = self.area_by_choice.get(BallotChoice.AGREE, 0)
        agree_owners = self.owners_by_choice.get(BallotChoice.AGREE, 0)
        if self.participating_area == 0 or self.participating_owners == 0:
            return False
        if self.supermajority:
            return (
                agree_area * 4 >= self.participating_area * 3
                and agree_owners * 4 >= self.participating_owners * 3
            )
        return agree_area * 2 > self.participating_area and agree_owners * 2 > self.participating_owners

    @property
    def passed(self) -> bool:
        return self.participation_met and self.majority_met


def owners_of_roll(roll: list[RollUnit]) -> dict[int, int]:
    """unit id → owner number: people linked through a shared unit are one owner (union-find);
    every unit without anybody on record belongs to one "developer" owner."""
    parent: dict[object, object] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for unit in roll:
        people = sorted(unit.owners) or [DEVELOPER]
        for person in people[1:]:
            a, b = find(people[0]), find(person)
            if a != b:
                parent[b] = a
    numbering: dict[object, int] = {}
    out = {}
    for unit in sorted(roll, key=lambda u: u.unit_id):
        root = find(min(unit.owners) if unit.owners else DEVELOPER)
        out[unit.unit_id] = numbering.setdefault(root, len(numbering) + 1)
    return out


def tally(matter: int, roll: list[RollUnit], choices: dict[int, str]) -> Tally:
    """Count ``choices`` (unit id → agree/disagree/abstain; counted ballots only) over ``roll``."""
    owner_of = owners_of_roll(roll)
    result = Tally(
        matter=int(matter),
        total_area=sum(u.area for u in roll),
        total_owners=len(set(owner_of.values())),
        owner_of_unit=owner_of,
    )
    by_owner: dict[int, set[str]] = {}
    for unit in roll:
        choice = choices.get(unit.unit_id)
        if choice is None:
            continue
        result.participating_area += unit.area
        result.area_by_choice[choice] = result.area_by_choice.get(choice, 0) + unit.area
        by_owner.setdefault(owner_of[unit.unit_id], set()).add(choice)
    result.participating_owners = len(by_owner)
    for owner_choices in by_owner.values():
        key = next(iter(owner_choices)) if len(owner_choices) == 1 else "split"
        result.owners_by_choice[key] = result.owners_by_choice.get(key, 0) + 1
    return result


# --------------------------------------------------------------------------- canonical result and digest


def canonical_json(data) -> bytes:
    """Sorted keys, no spaces, UTF-8 (not \\u-escaped): the form the digest covers."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def result_digest(result: dict) -> str:
    body = {k: v for k, v in result.items() if k != "digest"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def unit_key(salt: str, unit: Unit) -> str:
    """A unit's receipt key: HMAC-SHA256(vote's secret salt, unit id). Its owner reads it on
    the vote page and finds their line in the public result; nobody else can link it."""
    return hmac.new(salt.encode(), f"unit:{unit.pk}".encode(), hashlib.sha256).hexdigest()[:16]


def _pair(area: int, owners: int) -> dict:
    return {"area_centi_m2": area, "owners": owners}


def build_result(vote: OwnersVote, units: list[Unit], t: Tally, choices: dict[int, str]) -> dict:
    lines = []
    for unit in units:
        line = {
            "unit": unit.masked_label,
            "key": unit_key(vote.salt, unit),
            "area_centi_m2": area_centi(unit.floor_area),
            "owner": t.owner_of_unit[unit.pk],
            "choice": choices.get(unit.pk, "not_voted"),
        }
        lines.append(line)
    lines.sort(key=lambda line: line["key"])
    a, o = t.area_by_choice, t.owners_by_choice
    result = {
        "format": RESULT_FORMAT,
        "compound": vote.compound.slug,
        "vote": vote.pk,
        "title": vote.title,
        "matter": t.matter,
        "rule": "three_quarters" if t.supermajority else "more_than_half",
        "closed_at": vote.closed_at.isoformat(),
        "total": _pair(t.total_area, t.total_owners),
        "participating": _pair(t.participating_area, t.participating_owners),
        "agree": _pair(a.get("agree", 0), o.get("agree", 0)),
        "disagree": _pair(a.get("disagree", 0), o.get("disagree", 0)),
        "abstain": _pair(a.get("abstain", 0), o.get("abstain", 0)),
        "split": _pair(0, o.get("split", 0)),
        "participation_met": t.participation_met,
        "majority_met": t.majority_met,
        "passed": t.passed,
        "ballots": lines,
    }
    result["digest"] = result_digest(result)
    return result


# --------------------------------------------------------------------------- reads the services share


def roll_of(compound: Compound, on=None) -> tuple[list[Unit], list[RollUnit]]:
    """The compound's units and who owns each today (two queries)."""
    units = list(Unit.objects.filter(compound=compound).select_related("building").order_by("pk"))
    owners: dict[int, set[int]] = {}
    for unit_id, user_id in UnitOwnership.objects.filter(_active_q(on=on), compound=compound).values_list(
        "unit_id", "user_id"
    ):
        owners.setdefault(unit_id, set()).add(user_id)
    roll = [RollUnit(u.pk, area_centi(u.floor_area), frozenset(owners.get(u.pk, ()))) for u in units]
    return units, roll


def counted_choices(vote: OwnersVote) -> dict[int, str]:
    rows = Ballot.objects.filter(vote=vote).values_list("unit_id", "choice", "channel", "confirmed_by_id")
    return {
        unit_id: choice
        for unit_id, choice, channel, confirmed in rows
        if channel != BallotChannel.PAPER or confirmed is not None
    }


def vote_tally(vote: OwnersVote) -> Tally:
    """The count as it stands (for an open vote: so far)."""
    _units, roll = roll_of(vote.compound)
    return tally(vote.matter, roll, counted_choices(vote))


# --------------------------------------------------------------------------- services


@transaction.atomic(durable=True)
def vote_open(
    *, compound: Compound, actor, title: str, matter: int, closes_at, meeting: Meeting | None = None
) -> OwnersVote:
    """Open an owners' vote on one matter of art. 278 (the matter fixes the rule)."""
    standing = standing_in(actor, compound)
    if not standing.can(Capability.RUN_OWNERS_VOTE):
        raise PermissionDeniedError(
            _("Only the committee chair or a community official opens an owners' vote.")
        )
    title = (title or "").strip()
    if not title:
        raise _refuse("title", _("Write the question the owners decide."))
    try:
        matter = int(matter)
    except (TypeError, ValueError):
        matter = 0
    if matter not in Art278Matter.values:
        raise _refuse("matter", _("Choose the matter: one of the items 1–9 of Civil Code art. 278."))
    if closes_at is None or timezone.is_naive(closes_at) or closes_at <= timezone.now():
        raise _refuse("closes_at", _("The vote must close in the future."))
    if meeting is not None and (meeting.compound_id != compound.pk or meeting.kind != MeetingKind.ASSEMBLY):
        raise _refuse("meeting", _("Only an owners' assembly of this compound holds an owners' vote."))
    vote = OwnersVote.objects.create(
        compound=compound,
        meeting=meeting,
        title=title[:200],
        matter=matter,
        closes_at=closes_at,
        created_by=actor,
        salt=secrets.token_hex(16),
    )
    audit_record(
        actor=actor,
        action="meetings.vote_open",
        obj=vote,
        compound=compound,
        after={"title": vote.title, "matter": matter},
    )
    return vote


def _vote_lock(vote: OwnersVote, field_name: str = "vote") -> OwnersVote:
    """Lock the vote row: ballots and the closing are serialised per vote, so no ballot
    slips in after the count and two submits for one unit leave one ballot."""
    vote = OwnersVote.objects.select_for_update(of=("self",)).select_related("compound").get(pk=vote.pk)
    if vote.status != VoteStatus.OPEN or vote.closes_at <= timezone.now():
        raise ConflictError(
            _("The vote is closed."), extra={"fields": {field_name: [_("The vote is closed.")]}}
        )
    return vote


def _unit_of(vote: OwnersVote, unit: Unit) -> Unit:
    if unit is None or unit.compound_id != vote.compound_id:
        raise _refuse("unit", _("This unit is not in the compound of the vote."))
    return unit


def _is_owner(user, unit: Unit) -> bool:
    return UnitOwnership.objects.filter(_active_q(), unit=unit, user=user).exists()


def _check_choice(choice: str) -> str:
    if choice not in BallotChoice.values:
        raise _refuse("choice", _("Agree, disagree or abstain."))
    return choice


def _store(vote, unit, *, choice, channel, cast_by, owner, document=None, sha="") -> Ballot:
    now = timezone.now()
    ballot = Ballot.objects.filter(vote=vote, unit=unit).first()
    before = {"choice": ballot.choice, "channel": ballot.channel} if ballot else None
    if ballot is None:
        ballot = Ballot(compound=vote.compound, vote=vote, unit=unit)
    ballot.choice, ballot.channel, ballot.cast_by, ballot.owner = choice, channel, cast_by, owner
    ballot.confirmed_by, ballot.confirmed_at, ballot.updated_at = None, None, now
    if document is not None:
        ballot.proxy_document, ballot.proxy_sha256 = document, sha
    elif channel != BallotChannel.PROXY:
        ballot.proxy_document, ballot.proxy_sha256 = "", ""
    try:
        with transaction.atomic():
            ballot.save()
    except IntegrityError:
        # Only reachable without the vote lock; the database keeps one ballot per unit.
        raise ConflictError(
            _("Another ballot for this unit arrived at the same moment; try again.")
        ) from None
    audit_record(
        actor=cast_by,
        action="meetings.ballot_cast",
        obj=ballot,
        compound=vote.compound,
        before=before,
        after={"unit": unit.pk, "choice": choice, "channel": channel},
    )
    return ballot


@transaction.atomic(durable=True)
def ballot_cast(*, vote: OwnersVote, unit: Unit, choice: str, actor) -> Ballot:
    """An owner casts (or changes) their unit's ballot online. Co-owners share one ballot:
    the last one cast before closing counts."""
    vote = _vote_lock(vote)
    unit = _unit_of(vote, unit)
    choice = _check_choice(choice)
    if not _is_owner(actor, unit):
        raise PermissionDeniedError(
            _("Only an owner of this unit votes for it."),
            extra={"fields": {"unit": [_("You do not own this unit.")]}},
        )
    return _store(vote, unit, choice=choice, channel=BallotChannel.ONLINE, cast_by=actor, owner=actor)


@transaction.atomic(durable=True)
def ballot_cast_by_proxy(*, vote: OwnersVote, unit: Unit, choice: str, owner, document, actor) -> Ballot:
    """委托: someone votes for an owner with the signed proxy document (PDF or a photo)."""
    from common.attachments import read_checked  # the project's one upload checker

    vote = _vote_lock(vote)
    unit = _unit_of(vote, unit)
    choice = _check_choice(choice)
    if owner is None or not _is_owner(owner, unit):
        raise _refuse("owner", _("The person you represent is not an owner of this unit."))
    if owner.pk == actor.pk:
        raise _refuse("owner", _("You are this unit's owner: vote directly, without a proxy."))
    existing = Ballot.objects.filter(vote=vote, unit=unit).first()
    if existing is not None and existing.channel != BallotChannel.PROXY:
        raise _refuse(
            "owner", _("The owners of this unit have already voted themselves; a proxy cannot replace it.")
        )
    if document is None:
        raise _refuse("document", _("Attach the signed proxy document."))
    stored, meta = read_checked(document, field="document")
    return _store(
        vote,
        unit,
        choice=choice,
        channel=BallotChannel.PROXY,
        cast_by=actor,
        owner=owner,
        document=stored,
        sha=meta["sha256"],
    )


@transaction.atomic(durable=True)
def ballot_enter_paper(*, vote: OwnersVote, unit: Unit, choice: str, owner, actor) -> Ballot:
    """A paper ballot, typed in by one person; it counts once another confirms it."""
    vote = _vote_lock(vote)
    if not standing_in(actor, vote.compound).can(Capability.ENTER_PAPER_BALLOTS):
        raise PermissionDeniedError(_("Your roles do not allow entering paper ballots."))
    unit = _unit_of(vote, unit)
    choice = _check_choice(choice)
    if owner is None or not _is_owner(owner, unit):
        raise _refuse("owner", _("The person who signed the paper ballot is not an owner of this unit."))
    existing = Ballot.objects.filter(vote=vote, unit=unit).first()
    if existing is not None and existing.channel != BallotChannel.PAPER:
        # Staff typing in a paper slip must not overwrite what an owner (or their proxy)
        # cast themselves; the owner can still change their own ballot online.
        raise _refuse(
            "unit", _("This unit has already voted online or by proxy; a paper ballot cannot replace it.")
        )
    return _store(vote, unit, choice=choice, channel=BallotChannel.PAPER, cast_by=actor, owner=owner)


@transaction.atomic(durable=True)
def ballot_confirm_paper(*, ballot: Ballot, actor) -> Ballot:
    """The second person checks the paper ballot against what was entered."""
    vote = _vote_lock(ballot.vote, "ballot")
    if not standing_in(actor, vote.compound).can(Capability.ENTER_PAPER_BALLOTS):
        raise PermissionDeniedError(_("Your roles do not allow confirming paper ballots."))
    ballot = Ballot.objects.select_for_update().get(pk=ballot.pk)
    if ballot.channel != BallotChannel.PAPER:
        raise _refuse("ballot", _("Only paper ballots are confirmed."))
    if ballot.confirmed_by_id:
        raise _refuse("ballot", _("This paper ballot is already confirmed."))
    if ballot.cast_by_id == actor.pk:
        raise _refuse("ballot", _("Another person must confirm the paper ballot you entered."))
    ballot.confirmed_by, ballot.confirmed_at = actor, timezone.now()
    ballot.save(update_fields=["confirmed_by", "confirmed_at"])
    audit_record(actor=actor, action="meetings.ballot_confirm", obj=ballot, compound=vote.compound)
    return ballot


@transaction.atomic(durable=True)
def vote_close(*, vote: OwnersVote, actor) -> OwnersVote:
    """Close after the announced time, count, and freeze the canonical result and its digest."""
    vote = OwnersVote.objects.select_for_update(of=("self",)).select_related("compound").get(pk=vote.pk)
    if not standing_in(actor, vote.compound).can(Capability.RUN_OWNERS_VOTE):
        raise PermissionDeniedError(
            _("Only the committee chair or a community official closes an owners' vote.")
        )
    if vote.status != VoteStatus.OPEN:
        raise ConflictError(_("The vote is closed."), extra={"fields": {"vote": [_("The vote is closed.")]}})
    now = timezone.now()
    if now < vote.closes_at:
        raise _refuse(
            "closes_at",
            _("The vote closes at %(t)s; owners may vote or change their ballot until then.")
            % {"t": timezone.localtime(vote.closes_at).strftime("%Y-%m-%d %H:%M")},
        )
    units, roll = roll_of(vote.compound)
    choices = counted_choices(vote)
    t = tally(vote.matter, roll, choices)
    vote.status, vote.closed_at = VoteStatus.CLOSED, now
    vote.result = build_result(vote, units, t, choices)
    vote.digest, vote.passed = vote.result["digest"], t.passed
    vote.save(update_fields=["status", "closed_at", "result", "digest", "passed"])
    audit_record(
        actor=actor,
        action="meetings.vote_close",
        obj=vote,
        compound=vote.compound,
        after={"digest": vote.digest, "passed": vote.passed},
    )
    return vote
