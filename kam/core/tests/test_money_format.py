"""kam.core.money formats exactly as babel's format_currency / format_decimal do (it only caches the
parsed locale and pattern)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.core import money

VALUES = [
    Decimal(0),
    Decimal("-0.00"),
    Decimal("0.005"),
    Decimal("-0.004"),
    Decimal("1E+3"),
    Decimal("123.456789"),
    Decimal("1234567.89"),
    *(Decimal(random.Random(7).randint(-(10**12), 10**12)) / 100 for _ in range(200)),
]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_amounts_and_numbers_match_babel(language):
    with translation.override(language):
        locale = money._locale()
        for value in VALUES:
            for digits in (0, 2):
                fmt = None if digits == 2 else ("#,##0\u00a0¤" if locale.startswith("ru") else "¤#,##0")
                expected = format_currency(
                    value, "RUB", format=fmt, locale=locale, currency_digits=digits == 2
                ).replace(" ", "\u00a0")
                assert money.format_money(value, "RUB", digits=digits) == expected
            for digits in (0, 1, 2):
                pattern = "#,##0" + ("." + "0" * digits if digits else "")
                assert money.format_number(value, digits) == format_decimal(
                    value, format=pattern, locale=locale
                )
        assert (
            money.format_percent(Decimal("0.1234"))
            == format_decimal(Decimal("12.340"), format="#,##0.0", locale=locale) + "\u00a0%"
        )


def test_russian_and_english_look():
    with translation.override("ru"):
        assert money.format_money(Decimal("1234567.89")) == "1\u00a0234\u00a0567,89\u00a0₽"
    with translation.override("en"):
        assert money.format_money(Decimal("1234567.89")) == "RUB1,234,567.89"


# Any amount, rounding ties included: the fast path writes what babel writes.
amounts = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), allow_nan=False, allow_infinity=False, places=4
) | st.integers(min_value=-(10**15), max_value=10**15).map(lambda n: Decimal(n) / 1000 + Decimal("0.005"))


@settings(max_examples=300, deadline=None)
@given(value=amounts, language=st.sampled_from(["ru", "en", "de"]), digits=st.integers(0, 3))
def test_any_amount_matches_babel(value, language, digits):
    with translation.override(language):
        locale = money._locale()
        fmt = None if digits == 2 else ("#,##0\u00a0¤" if locale.startswith("ru") else "¤#,##0")
        expected = format_currency(value, "RUB", format=fmt, locale=locale, currency_digits=digits == 2)
        assert money.format_money(value, "RUB", digits=digits) == expected.replace(" ", "\u00a0")
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        assert money.format_number(value, digits) == format_decimal(value, format=pattern, locale=locale)
        assert money.format_number(float(value), digits) == format_decimal(
            float(value), format=pattern, locale=locale
        )
