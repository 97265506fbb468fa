"""The worked example of docs/assessments.md, computed by hand there and checked here."""

from decimal import Decimal
from fractions import Fraction

from assessments import scoring

ITEMS = [
    scoring.ItemInfo(1, 1, "综合管理", "A", 40),
    scoring.ItemInfo(2, 2, "环境卫生", "B", 35),
    scoring.ItemInfo(3, 3, "绿化养护", "C", 25),
]
WEIGHTS = {"community": 30, "committee": 30, "survey": 30, "objective": 10}


def sheet(party, a, b, c):
    return scoring.Sheet(party=party, points={1: Decimal(a), 2: Decimal(b), 3: Decimal(c)})


SHEETS = [
    sheet("community", "36", "30", "20"),  # 86
    sheet("community", "34.5", "28", "22"),  # 84.5   (the third community scorer did not score)
    sheet("committee", "30", "25", "15"),  # 70
    sheet("committee", "35", "31.5", "21"),  # 87.5
    sheet("committee", "32", "29", "18"),  # 79
]
RATINGS = [5, 4, 4, 3, 5, 4]
OBJECTIVE = [
    scoring.Component("repairs_on_time", Fraction(14), Fraction(16)),  # 87.5
    scoring.Component("repair_rating", Fraction(21), Fraction(5), scale=20),  # 4.2 × 20 = 84
    scoring.Component("duties_checked", Fraction(5), Fraction(8)),  # 62.5
    scoring.Component("disclosure_on_time", Fraction(1), Fraction(1)),  # 100
]


def test_worked_example_total_and_parties():
    result = scoring.compute(
        items=ITEMS,
        sheets=SHEETS,
        ratings=RATINGS,
        objective=scoring.objective_score(OBJECTIVE),
        weights=WEIGHTS,
    )
    assert scoring.round2(result.parties["community"]) == Decimal("85.25")
    assert scoring.round2(result.parties["committee"]) == Decimal("78.83")  # 236.5 / 3
    assert scoring.round2(result.parties["survey"]) == Decimal("83.33")  # 25/6 × 20
    assert scoring.round2(result.parties["objective"]) == Decimal("83.50")
    # (30×85.25 + 30×78.8333… + 30×83.3333… + 10×83.5) / 100 = 82.575 exactly → 82.58
    assert result.total == Fraction(82575, 1000)
    assert scoring.round2(result.total) == Decimal("82.58")


def test_item_means_per_party():
    result = scoring.compute(items=ITEMS, sheets=SHEETS, ratings=[], objective=None, weights=WEIGHTS)
    first = result.items[0]
    assert scoring.round2(first["community"]) == Decimal("35.25")
    assert scoring.round2(first["committee"]) == Decimal("32.33")  # 97 / 3
    assert scoring.round2(first["mean"]) == Decimal("33.50")  # 167.5 / 5


def test_a_party_without_any_score_gives_its_weight_to_the_others():
    result = scoring.compute(
        items=ITEMS, sheets=SHEETS, ratings=[], objective=scoring.objective_score(OBJECTIVE), weights=WEIGHTS
    )
    # (2557.5 + 2365 + 835) / 70 = 82.25
    assert scoring.round2(result.total) == Decimal("82.25")
    assert scoring.round2(result.effective_weights["community"]) == Decimal("42.86")
    assert result.effective_weights["survey"] == 0


def test_no_scores_at_all_is_zero_not_an_error():
    result = scoring.compute(items=ITEMS, sheets=[], ratings=[], objective=None, weights=WEIGHTS)
    assert result.total == 0


def test_round2_is_half_up_on_the_exact_value():
    assert scoring.round2(Fraction(84225, 1000)) == Decimal("84.23")  # half-even would say 84.22
    assert scoring.round2(Fraction(82575, 1000)) == Decimal("82.58")  # float round() says 82.57
    assert scoring.round2(Fraction(1, 3)) == Decimal("0.33")
    assert scoring.round2(Fraction(2, 3)) == Decimal("0.67")
    assert scoring.round2(Fraction(-1, 200)) == Decimal("-0.01")
    assert scoring.round2(Fraction(100)) == Decimal("100.00")
