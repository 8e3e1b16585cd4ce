"""Points on a 2**-20 grid: rounding, decay, exact sums in any order, and how points are shown."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.points import GRID, decayed, decayed_sum, quantize, show

finite = st.floats(min_value=-1_000_000, max_value=1_000_000, allow_nan=False, allow_infinity=False)


def on_grid(x: float) -> bool:
    return (x * GRID).is_integer()


def test_the_grid_is_two_to_the_minus_twenty() -> None:
    assert GRID == 2.0**20
    assert quantize(1 / GRID) == 1 / GRID
    assert quantize(0.1) != 0.1  # 0.1 is not a multiple of 2**-20
    assert abs(quantize(0.1) - 0.1) <= 0.5 / GRID


@pytest.mark.parametrize(
    ("steps", "expected_steps"),
    [(0.5, 1), (1.5, 2), (-0.5, 0), (-1.5, -1), (0.49, 0), (-0.51, -1), (2.0, 2)],
)
def test_halves_round_up(steps: float, expected_steps: int) -> None:
    # floor(x * 2**20 + 0.5) / 2**20: ties go towards +infinity, on every engine the same
    assert quantize(steps / GRID) == expected_steps / GRID


@given(finite)
def test_quantize_is_on_the_grid_close_and_idempotent(x: float) -> None:
    q = quantize(x)
    assert on_grid(q)
    assert abs(q - x) <= 0.5 / GRID
    assert quantize(q) == q


@given(st.lists(finite, max_size=60), st.randoms(use_true_random=False))
def test_sums_of_grid_points_are_exact_in_any_order(values: list[float], rnd: random.Random) -> None:
    points = [quantize(v) for v in values]
    total = sum(points)
    shuffled = points[:]
    rnd.shuffle(shuffled)
    assert sum(reversed(points)) == total
    assert sum(shuffled) == total
    assert math.fsum(points) == total  # the correctly rounded sum: no rounding happened at all


def test_one_half_life_halves_the_points() -> None:
    assert decayed(10.0, 30.0, 30.0) == 5.0
    assert decayed(10.0, 60.0, 30.0) == 2.5
    assert decayed(-8.0, 7.0, 7.0) == -4.0
    assert decayed(10.0, 15.0, 30.0) == quantize(10 / math.sqrt(2))


def test_no_half_life_means_no_decay() -> None:
    assert decayed(10.0, 3650.0, None) == 10.0
    assert decayed(0.1, 5.0, None) == quantize(0.1)


@pytest.mark.parametrize("age", [0.0, -1.0, -0.001])
def test_an_event_of_age_zero_or_less_keeps_its_points(age: float) -> None:
    assert decayed(10.0, age, 30.0) == 10.0


@given(
    st.floats(min_value=0.0, max_value=1000.0),
    st.floats(min_value=0.0, max_value=400.0),
    st.floats(min_value=0.0, max_value=400.0),
    st.floats(min_value=0.01, max_value=365.0),
)
def test_decay_never_grows_with_age_and_stays_on_the_grid(
    points: float, age: float, more: float, half_life: float
) -> None:
    younger = decayed(points, age, half_life)
    older = decayed(points, age + more, half_life)
    assert on_grid(younger) and on_grid(older)
    assert 0.0 <= older <= younger <= quantize(points)


@settings(max_examples=50)
@given(st.floats(min_value=-1000.0, max_value=1000.0), st.floats(min_value=0.01, max_value=365.0))
def test_decay_of_negative_points_is_the_mirror_of_positive_points(points: float, half_life: float) -> None:
    # only up to the grid's rounding of ties, which goes towards +infinity for both signs
    assert abs(decayed(points, half_life, half_life) + decayed(-points, half_life, half_life)) <= 1 / GRID


@pytest.mark.parametrize(
    ("points", "text"),
    [
        (10.0, "10"),
        (-15.0, "-15"),
        (0.0, "0"),
        (2.5, "2.50"),
        (29.314799308776855, "29.31"),
        (1.999, "2"),
        (-0.001, "0"),
        (-2.25, "-2.25"),
    ],
)
def test_show_writes_whole_numbers_plainly_and_others_to_two_decimals(points: float, text: str) -> None:
    assert show(points) == text


@settings(max_examples=300)
@given(
    st.floats(min_value=-500, max_value=500, allow_nan=False),
    st.lists(st.floats(min_value=-30, max_value=3650, allow_nan=False), max_size=60),
    st.floats(min_value=0.01, max_value=720, allow_nan=False),
)
def test_a_decayed_sum_is_the_sum_of_decayed_points_bit_for_bit(
    points: float, ages: list[float], half_life: float
) -> None:
    one_by_one = sum(decayed(points, age, half_life) for age in ages)
    together = decayed_sum(points, ages, half_life)
    assert together == one_by_one
    assert on_grid(together)
