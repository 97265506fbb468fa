"""common/money.py: integer fen inside, yuan at the edges, and a split that never loses a fen."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from common.money import MAX_AMOUNT_FEN, AmountError, fen_to_yuan, format_yuan, ratio_split, yuan_to_fen

ratios = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40).filter(any)


@given(total=st.integers(min_value=0, max_value=MAX_AMOUNT_FEN), weights=ratios)
@example(total=100, weights=[1, 1, 1])
@example(total=1, weights=[1, 1])
def test_ratio_split_never_loses_or_invents_a_fen(total, weights):
    parts = ratio_split(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Decimal(total) * weight / weight_sum
        assert abs(part - exact) < 1, (part, exact)
        assert part >= 0


@given(total=st.integers(min_value=1, max_value=MAX_AMOUNT_FEN), weights=ratios)
def test_ratio_split_of_a_negative_total_mirrors_the_positive_one(total, weights):
    assert ratio_split(-total, weights) == [-part for part in ratio_split(total, weights)]


@given(
    total=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(
        st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=10,
    ).filter(any),
)
def test_ratio_split_takes_decimal_ratios_such_as_floor_areas(total, weights):
    parts = ratio_split(total, weights)
    assert sum(parts) == total
    assert ratio_split(total, weights) == parts  # deterministic


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),  # the leftover fen goes to the earliest tie
        (10, [3, 7], [3, 7]),
        (1, [1, 1], [1, 0]),
        (0, [5, 5], [0, 0]),
        (101_00, [Decimal("89.50"), Decimal("120.00")], [43_15, 57_85]),  # by floor area
        (-100, [1, 1, 1], [-34, -33, -33]),
    ],
)
def test_ratio_split_worked_examples(total, weights, parts):
    assert ratio_split(total, weights) == parts


@pytest.mark.parametrize(
    ("total", "weights", "error"),
    [(100, [], ValueError), (100, [1, -1], ValueError), (100, [0, 0], ValueError), (1.5, [1], TypeError)],
)
def test_ratio_split_refuses_nonsense(total, weights, error):
    with pytest.raises(error):
        ratio_split(total, weights)


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("1,234.50", 123450),
        ("1234.5", 123450),
        ("¥12", 1200),
        ("￥0.01", 1),
        (" 3.10 ", 310),
        ("1.230", 123),
        (Decimal("12.3"), 1230),
        (12, 1200),
        ("100000000", MAX_AMOUNT_FEN),
    ],
)
def test_yuan_to_fen_parses_amounts(value, fen):
    assert yuan_to_fen(value) == fen


@pytest.mark.parametrize(
    "value",
    [
        12.5,
        "1.234",
        "0",
        "0.00",
        "-1",
        "abc",
        "1,23",
        "1e3",
        "NaN",
        "",
        None,
        True,
        "100000000.01",
        Decimal("Infinity"),
    ],
)
def test_yuan_to_fen_refuses_what_is_not_money(value):
    with pytest.raises(AmountError) as exc_info:
        yuan_to_fen(value, field="amount_yuan")
    assert "amount_yuan" in exc_info.value.extra["fields"]


def test_yuan_to_fen_allows_zero_only_when_asked():
    assert yuan_to_fen("0", allow_zero=True) == 0


@given(fen=st.integers(min_value=1, max_value=MAX_AMOUNT_FEN))
def test_fen_survive_a_round_trip_through_yuan(fen):
    assert yuan_to_fen(str(fen_to_yuan(fen))) == fen
    assert yuan_to_fen(format_yuan(fen)) == fen


def test_format_yuan():
    assert format_yuan(123456789) == "¥1,234,567.89"
    assert format_yuan(-5) == "¥-0.05"
    assert format_yuan(100, symbol=False) == "1.00"


def test_fen_to_yuan_refuses_anything_but_int():
    with pytest.raises(TypeError):
        fen_to_yuan(1.5)
    with pytest.raises(TypeError):
        fen_to_yuan(True)
