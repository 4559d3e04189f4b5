"""Forecast of a monthly series with statsmodels, and its error on held-out months.

The model depends on how much history there is:

* 24 months or more: Holt-Winters (additive trend, additive 12-month season);
* 6 to 23 months: Holt's linear trend (additive trend, no season);
* 2 to 5 months: simple exponential smoothing (level only);
* fewer: no forecast.

The error is measured honestly: the last ``holdout`` months (3) are put aside, the same rule picks and
fits a model on the months before them, and its forecast for the held-out months is compared with what
actually happened (MAE, and MAPE over the months with non-zero actuals). The forecast shown is then
fitted on the whole history. Forecasts are statistics, so floats are fine here; amounts are rounded to
whole kopecks when they are shown.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

HOLDOUT = 3
SEASON = 12
MIN_SEASONAL = 2 * SEASON
MIN_TREND = 6
MIN_LEVEL = 2

HOLT_WINTERS = "holt_winters"
HOLT = "holt"
SIMPLE = "simple"
NONE = "none"


@dataclass(frozen=True)
class Fit:
    model: str  # HOLT_WINTERS, HOLT, SIMPLE or NONE
    forecast: list[float]


@dataclass(frozen=True)
class Forecast:
    model: str  # the model used for the forecast (on the whole history)
    values: list[float]  # the next `horizon` months
    holdout_model: str  # the model fitted without the held-out months
    holdout_actual: list[float]
    holdout_predicted: list[float]
    mae: float | None
    mape: float | None  # a fraction: 0.12 = 12 %


def choose_model(n: int) -> str:
    if n >= MIN_SEASONAL:
        return HOLT_WINTERS
    if n >= MIN_TREND:
        return HOLT
    if n >= MIN_LEVEL:
        return SIMPLE
    return NONE


def fit(series: Sequence[float], horizon: int, *, nonnegative: bool = False) -> Fit:
    """Fits the model the history allows and forecasts `horizon` steps."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing, SimpleExpSmoothing

    model = choose_model(len(series))
    if model == NONE or horizon < 1:
        return Fit(model, [])
    y = np.asarray(series, dtype=float)
    if not np.isfinite(y).all():
        return Fit(NONE, [])
    if float(np.ptp(y)) == 0.0:
        # A flat series: every smoothing model forecasts the same level; statsmodels would warn.
        return Fit(model, [float(y[-1])] * horizon)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if model == HOLT_WINTERS:
            fitted = ExponentialSmoothing(
                y, trend="add", seasonal="add", seasonal_periods=SEASON, initialization_method="estimated"
            ).fit()
        elif model == HOLT:
            fitted = ExponentialSmoothing(y, trend="add", initialization_method="estimated").fit()
        else:
            fitted = SimpleExpSmoothing(y, initialization_method="estimated").fit()
        values = [float(v) for v in fitted.forecast(horizon)]
    if not all(math.isfinite(v) for v in values):
        return Fit(NONE, [])
    if nonnegative:
        values = [max(0.0, v) for v in values]
    return Fit(model, values)


def errors(actual: Sequence[float], predicted: Sequence[float]) -> tuple[float | None, float | None]:
    """MAE, and MAPE over the months whose actual is not zero (None when there are none)."""
    if not actual or len(actual) != len(predicted):
        return None, None
    mae = sum(abs(a - p) for a, p in zip(actual, predicted, strict=True)) / len(actual)
    ratios = [abs(a - p) / abs(a) for a, p in zip(actual, predicted, strict=True) if a != 0]
    mape = sum(ratios) / len(ratios) if ratios else None
    return mae, mape


def forecast(
    series: Sequence[float], horizon: int = 3, *, holdout: int = HOLDOUT, nonnegative: bool = False
) -> Forecast:
    """The forecast on the whole history, and the error of the same method on the last `holdout` months."""
    full = fit(series, horizon, nonnegative=nonnegative)
    train, test = list(series[:-holdout]), list(series[-holdout:]) if holdout else []
    held = (
        fit(train, len(test), nonnegative=nonnegative) if holdout and len(series) > holdout else Fit(NONE, [])
    )
    if held.model == NONE or not held.forecast:
        return Forecast(full.model, full.forecast, NONE, [], [], None, None)
    mae, mape = errors(test, held.forecast)
    return Forecast(full.model, full.forecast, held.model, [float(v) for v in test], held.forecast, mae, mape)
