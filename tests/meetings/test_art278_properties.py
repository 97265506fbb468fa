"""Property tests of the art. 278 count against an independent reference written with
fractions.Fraction, over random estates (people owning one or several flats), ballots and
matters; and two rules that must hold whatever the numbers."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from meetings.votes import RollUnit, tally

CHOICES = ["agree", "disagree", "abstain", None]


@st.composite
def estates(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    people = draw(st.integers(min_value=1, max_value=n))
    roll = [
        RollUnit(
            i + 1, draw(st.integers(min_value=1, max_value=18000)), frozenset({draw(st.integers(1, people))})
        )
        for i in range(n)
    ]
    ballots = {u.unit_id: c for u in roll if (c := draw(st.sampled_from(CHOICES))) is not None}
    return draw(st.integers(min_value=1, max_value=9)), roll, ballots


def reference(matter, roll, ballots) -> bool:
    """Art. 278 para. 2 read literally, with exact fractions (one owner per flat here)."""
    total_area = sum(u.area for u in roll)
    owners = {next(iter(u.owners)) for u in roll}
    voted = [u for u in roll if u.unit_id in ballots]
    part_area = sum(u.area for u in voted)
    by_person: dict[int, set[str]] = {}
    for u in voted:
        by_person.setdefault(next(iter(u.owners)), set()).add(ballots[u.unit_id])
    part_heads = len(by_person)
    if Fraction(part_area, total_area) < Fraction(2, 3) or Fraction(part_heads, len(owners)) < Fraction(2, 3):
        return False
    agree_area = sum(u.area for u in voted if ballots[u.unit_id] == "agree")
    agree_heads = sum(1 for choices in by_person.values() if choices == {"agree"})
    area_share, head_share = Fraction(agree_area, part_area), Fraction(agree_heads, part_heads)
    if matter in (6, 7, 8):
        return area_share >= Fraction(3, 4) and head_share >= Fraction(3, 4)
    return area_share > Fraction(1, 2) and head_share > Fraction(1, 2)


@given(estates())
def test_the_count_agrees_with_the_fraction_reference(case):
    matter, roll, ballots = case
    assert tally(matter, roll, ballots).passed == reference(matter, roll, ballots)


@given(estates(), st.data())
def test_an_extra_yes_never_turns_a_pass_into_a_failure(case, data):
    matter, roll, ballots = case
    silent = [u.unit_id for u in roll if u.unit_id not in ballots]
    if not silent or not tally(matter, roll, ballots).passed:
        return
    unit = data.draw(st.sampled_from(silent))
    assert tally(matter, roll, {**ballots, unit: "agree"}).passed


@given(estates())
def test_not_voting_is_never_agreeing(case):
    matter, roll, ballots = case
    t = tally(matter, roll, ballots)
    assert t.area_by_choice.get("agree", 0) == sum(u.area for u in roll if ballots.get(u.unit_id) == "agree")
    assert t.participating_area == sum(u.area for u in roll if u.unit_id in ballots)
