"""Money is Decimal in the system of record and integer kopecks in analytics; never float."""

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern
from django.conf import settings
from django.utils import translation

KOPECK = Decimal("0.01")


def to_kopecks(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_kopecks(kopecks: int) -> Decimal:
    return (Decimal(kopecks) / 100).quantize(KOPECK)


def _locale() -> str:
    return (translation.get_language() or "en").replace("-", "_")


@lru_cache(maxsize=64)
def _babel_locale(name: str) -> Locale:
    return Locale.parse(name)


@lru_cache(maxsize=256)
def _pattern(locale: str, pattern: str | None) -> NumberPattern:
    """The parsed pattern (None: the locale's standard currency format), parsed once per process."""
    if pattern is None:
        return _babel_locale(locale).currency_formats["standard"]
    return parse_pattern(pattern)


def format_money(
    amount: Decimal | int | None, currency: str | None = None, *, kopecks: bool = False, digits: int = 2
) -> str:
    """RUB as the user's locale writes it: `1 234 567,89 ₽` in Russian, `RUB 1,234,567.89` in English."""
    if amount is None:
        return "—"
    value = from_kopecks(int(amount)) if kopecks else Decimal(amount)
    locale = _locale()
    fmt = None if digits == 2 else ("#,##0\u00a0¤" if locale.startswith("ru") else "¤#,##0")
    # What babel's format_currency does, without parsing the locale and the pattern on every call
    # (a report page formats hundreds of amounts).
    text = _pattern(locale, fmt).apply(
        value,
        _babel_locale(locale),
        currency=currency or settings.KAM_CURRENCY,
        currency_digits=digits == 2,
        decimal_quantization=True,
        group_separator=True,
        numbering_system="latn",
    )
    # An amount never breaks across lines in a table cell.
    return text.replace(" ", "\u00a0")


def format_number(value: Decimal | int | float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    locale = _locale()
    pattern = _pattern(locale, "#,##0" + ("." + "0" * digits if digits else ""))
    return pattern.apply(
        value, _babel_locale(locale), decimal_quantization=True, group_separator=True, numbering_system="latn"
    )


def format_percent(share: Decimal | float | None, digits: int = 1) -> str:
    """A share (0.1234) as a percentage in the user's locale: 12.3 %."""
    if share is None:
        return "—"
    return format_number(Decimal(str(share)) * 100, digits) + "\u00a0%"
