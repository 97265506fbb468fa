"""The worked example of docs/assessments.md, computed by hand there and checked here."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

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


# --------------------------------------------------------------------------- invariants


tenths = st.integers(min_value=0, max_value=1000).map(lambda n: Decimal(n) / 10)


@given(
    sheets=st.lists(
        st.tuples(st.sampled_from(["community", "committee"]), st.tuples(tenths, tenths, tenths)),
        max_size=8,
    ),
    ratings=st.lists(st.integers(min_value=1, max_value=5), max_size=20),
    objective=st.none() | st.fractions(min_value=0, max_value=100),
    weights=st.lists(st.integers(min_value=0, max_value=100), min_size=4, max_size=4),
)
def test_the_total_lies_between_the_party_scores_and_rounds_half_up(sheets, ratings, objective, weights):
    items = [scoring.ItemInfo(i, i, "s", "t", 100) for i in (1, 2, 3)]
    built = [scoring.Sheet(party=p, points=dict(zip((1, 2, 3), pts, strict=True))) for p, pts in sheets]
    w = dict(zip(scoring.PARTIES, weights, strict=True))
    result = scoring.compute(items=items, sheets=built, ratings=ratings, objective=objective, weights=w)
    counted = [result.parties[p] for p in scoring.PARTIES if result.parties[p] is not None and w[p] > 0]
    if counted:
        assert min(counted) <= result.total <= max(counted)
        assert sum(result.effective_weights.values()) == 100
    else:
        assert result.total == 0
    # Rounding the exact value once, half up, is what Decimal does on an exact decimal.
    exact = Decimal(result.total.numerator) / Decimal(result.total.denominator)
    if (result.total * 10**6).denominator == 1:  # an exact decimal: compare with Decimal's own rounding
        assert scoring.round2(result.total) == exact.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert abs(scoring.round2(result.total) - exact) <= Decimal("0.005")
