"""Each health component at its boundaries, and the score from the points (no database)."""

from decimal import Decimal

import pytest

from kam.health import scoring
from kam.health.models import HealthConfig
from kam.health.scoring import GOOD, RISK, WATCH, Facts


@pytest.fixture
def config() -> HealthConfig:
    return HealthConfig()  # the defaults in code, unsaved


@pytest.mark.parametrize(
    ("recent", "previous", "level"),
    [
        (9500, 10000, GOOD),  # −5 % exactly: still good
        (9499, 10000, WATCH),  # just past −5 %
        (8000, 10000, WATCH),  # −20 % exactly: still watch
        (7999, 10000, RISK),
        (15000, 10000, GOOD),  # growth
        (1, 0, GOOD),  # from nothing to something
        (0, 0, RISK),  # nothing at all
        (0, -500, RISK),
    ],
)
def test_income_trend_at_its_boundaries(config, recent, previous, level):
    assert scoring.trend_level(recent, previous, config)[0] == level


def test_the_trend_shows_its_change_in_percent(config):
    assert scoring.trend_level(8000, 10000, config) == (WATCH, "-20.0")
    assert scoring.trend_level(5, 0, config) == (GOOD, None)


@pytest.mark.parametrize(
    ("recent", "history", "months", "level"),
    [
        (3, 12, 3, GOOD),  # every month, as always: 100 %
        (2, 10, 3, GOOD),  # 24/30 = 80 % exactly: good
        (2, 11, 3, WATCH),  # 24/33 = 72.7 %
        (1, 8, 3, WATCH),  # 12/24 = 50 % exactly: watch
        (1, 9, 3, RISK),  # 12/27 = 44.4 %
        (0, 12, 6, RISK),
        (1, 0, 3, GOOD),  # no history, buying now
        (0, 0, 3, RISK),  # never bought
    ],
)
def test_order_frequency_at_its_boundaries(config, recent, history, months, level):
    assert scoring.frequency_level(recent, history, months, config)[0] == level


@pytest.mark.parametrize(
    ("overdue", "level"),
    [
        (Decimal("0.00"), GOOD),
        (Decimal("0.01"), WATCH),
        (Decimal("100000.00"), WATCH),
        (Decimal("100000.01"), RISK),
    ],
)
def test_overdue_debt_at_its_boundaries(config, overdue, level):
    assert scoring.overdue_level(overdue, config) == level


@pytest.mark.parametrize(("count", "level"), [(0, GOOD), (1, WATCH), (2, RISK)])
def test_open_claims_at_their_boundaries(config, count, level):
    assert scoring.claims_level(count, config) == level


@pytest.mark.parametrize(
    ("covered", "total", "level"),
    [
        (4, 5, GOOD),  # 80 % exactly
        (3, 4, WATCH),  # 75 %
        (1, 2, WATCH),  # 50 % exactly
        (2, 5, RISK),  # 40 %
        (0, 0, RISK),  # no decision maker recorded
        (1, 1, GOOD),
    ],
)
def test_coverage_of_decision_makers_at_its_boundaries(config, covered, total, level):
    assert scoring.coverage_level(covered, total, config)[0] == level


@pytest.mark.parametrize(
    ("days", "level"), [(0, GOOD), (30, GOOD), (31, WATCH), (60, WATCH), (61, RISK), (None, RISK)]
)
def test_days_since_the_last_meeting_at_their_boundaries(config, days, level):
    assert scoring.meeting_level(days, config) == level


@pytest.mark.parametrize(
    ("count", "total", "level"),
    [
        (1, 4, GOOD),  # 4.00 exactly
        (3, 11, WATCH),  # 3.67
        (2, 6, WATCH),  # 3.00 exactly
        (3, 8, RISK),  # 2.67
        (0, 0, WATCH),  # no feedback: unknown
    ],
)
def test_satisfaction_at_its_boundaries(config, count, total, level):
    assert scoring.satisfaction_level(count, total, config)[0] == level


def test_a_perfect_client_scores_100_and_shows_every_components_points(config):
    facts = Facts(
        recent_income=100,
        previous_income=100,
        recent_months=3,
        history_months=12,
        decision_makers=1,
        decision_makers_covered=1,
        days_since_meeting=3,
        feedback_count=1,
        feedback_sum=5,
    )
    score, band, parts = scoring.evaluate(facts, config)
    assert (score, band) == (100, "good")
    assert {k: (p["points"], p["weight"]) for k, p in parts.items()} == {
        "trend": ("25", 25),
        "frequency": ("15", 15),
        "overdue": ("20", 20),
        "claims": ("10", 10),
        "coverage": ("10", 10),
        "meeting": ("10", 10),
        "satisfaction": ("10", 10),
    }


def test_the_score_adds_half_points_for_watch_and_rounds_half_up(config):
    # trend watch (12.5), frequency good (15), overdue good (20), claims watch (5), coverage risk (0),
    # meeting watch (5), satisfaction unknown (5): 62.5 → 63
    facts = Facts(
        recent_income=85,
        previous_income=100,
        recent_months=3,
        history_months=12,
        open_claims=1,
        days_since_meeting=45,
    )
    score, band, parts = scoring.evaluate(facts, config)
    assert parts["trend"]["points"] == "12.5"
    assert (score, band) == (63, "watch")


def test_bands_at_their_boundaries(config):
    assert [scoring.band_of(s, config) for s in (70, 69, 50, 49)] == ["good", "watch", "watch", "risk"]


def test_weights_need_not_add_up_to_100(config):
    for name in ("trend", "frequency", "overdue", "claims", "coverage", "meeting"):
        setattr(config, f"weight_{name}", 0)
    config.weight_satisfaction = 3
    score, _band, parts = scoring.evaluate(Facts(feedback_count=1, feedback_sum=3), config)
    assert (score, parts["satisfaction"]["points"]) == (50, "1.5")
