"""The forecast on synthetic series whose future is known, and its error on held-out months."""

from __future__ import annotations

import math

import pytest

from kam.segments import forecast as fc


def linear(n: int, start: float = 1000.0, slope: float = 25.0) -> list[float]:
    return [start + slope * i for i in range(n)]


def seasonal(n: int) -> list[float]:
    return [2000.0 + 30.0 * i + 300.0 * math.sin(2 * math.pi * i / 12) for i in range(n)]


def test_a_linear_trend_is_continued_by_holt():
    result = fc.forecast(linear(12), horizon=3)
    assert result.model == fc.HOLT
    assert result.values == pytest.approx([1300.0, 1325.0, 1350.0], rel=0.01)


def test_a_trend_with_a_season_uses_holt_winters_and_follows_both():
    history = seasonal(36)
    result = fc.forecast(history, horizon=6)
    assert result.model == fc.HOLT_WINTERS
    expected = seasonal(42)[36:]
    assert result.values == pytest.approx(expected, rel=0.02)


def test_the_error_is_measured_on_the_last_three_held_out_months():
    # Noise only in the held-out months: the model, fitted without them, cannot know it.
    history = linear(15)
    history[-3:] = [history[-3] + 30, history[-2] - 60, history[-1] + 90]
    result = fc.forecast(history, horizon=3)
    assert result.holdout_model == fc.HOLT
    assert result.holdout_actual == history[-3:]
    assert result.holdout_predicted == pytest.approx(linear(15)[-3:], rel=0.001)
    # |30| + |−60| + |90| over 3 months = 60; MAPE is the mean of each error over its actual.
    assert result.mae == pytest.approx(60.0, rel=0.01)
    expected_mape = (30 / history[-3] + 60 / history[-2] + 90 / history[-1]) / 3
    assert result.mape == pytest.approx(expected_mape, rel=0.01)


def test_errors_by_hand_and_zero_actuals_left_out_of_mape():
    assert fc.errors([100.0, 200.0, 0.0], [110.0, 180.0, 5.0]) == (pytest.approx(35 / 3), pytest.approx(0.1))
    assert fc.errors([0.0, 0.0], [1.0, 3.0]) == (pytest.approx(2.0), None)


@pytest.mark.parametrize(
    ("n", "model", "holdout_model"),
    [
        (0, fc.NONE, fc.NONE),
        (1, fc.NONE, fc.NONE),
        (3, fc.SIMPLE, fc.NONE),  # nothing left to fit once three months are held out
        (5, fc.SIMPLE, fc.SIMPLE),
        (6, fc.HOLT, fc.SIMPLE),
        (9, fc.HOLT, fc.HOLT),
        (24, fc.HOLT_WINTERS, fc.HOLT),
        (27, fc.HOLT_WINTERS, fc.HOLT_WINTERS),
    ],
)
def test_short_histories_fall_back_to_simpler_models(n, model, holdout_model):
    result = fc.forecast(linear(n), horizon=3)
    assert result.model == model
    assert result.holdout_model == holdout_model
    assert len(result.values) == (0 if model == fc.NONE else 3)
    if holdout_model == fc.NONE:
        assert result.mae is None and result.mape is None


def test_a_flat_series_and_turnover_never_forecast_below_zero():
    assert fc.forecast([500.0] * 8, horizon=2).values == [500.0, 500.0]
    falling = [100.0 - 20 * i for i in range(8)]
    assert min(fc.forecast(falling, horizon=6, nonnegative=True).values) >= 0.0
