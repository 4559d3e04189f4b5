"""Money is Decimal in the system of record and integer kopecks in analytics; never float."""

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, get_currency_precision, parse_pattern
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


def _babel_text(value: Decimal, locale: str, fmt: str | None, currency: str | None) -> str:
    """What babel's format_currency / format_decimal write, without parsing the locale and the pattern
    on every call (a report page formats hundreds of amounts). An amount in the locale's own currency
    format (`fmt` None) has the currency's digits; one in a pattern of ours, the pattern's."""
    options = {"decimal_quantization": True, "group_separator": True, "numbering_system": "latn"}
    if currency is None:
        return _pattern(locale, fmt).apply(value, _babel_locale(locale), **options)  # type: ignore[arg-type]
    return _pattern(locale, fmt).apply(
        value,
        _babel_locale(locale),
        currency=currency,
        currency_digits=fmt is None,
        **options,  # type: ignore[arg-type]
    )


@lru_cache(maxsize=256)
def _layout(locale: str, fmt: str | None, currency: str | None, frac: int) -> tuple[str, ...] | None:
    """Babel's own writing of a probe amount split around its digits, so that other amounts are written
    with Python's fast number formatting and babel's symbols: (prefix, suffix of a positive amount,
    prefix, suffix of a negative one, group separator, decimal separator). None: leave it to babel
    (a grouping other than thousands, say). kam/core/tests/test_money_format.py checks that both agree."""
    pattern = _pattern(locale, fmt)
    if pattern.grouping != (3, 3) or pattern.scale != 0 or pattern.exp_prec is not None:
        return None
    symbols = _babel_locale(locale).number_symbols["latn"]
    group, decimal = symbols["group"], symbols["decimal"]
    probe = Decimal("1234567." + "8" * frac) if frac else Decimal(1234567)
    digits = f"1{group}234{group}567" + (decimal + "8" * frac if frac else "")
    parts: list[str] = []
    for value in (probe, -probe):
        text = _babel_text(value, locale, fmt, currency)
        if text.count(digits) != 1:
            return None
        before, after = text.split(digits)
        parts += [before, after]
    return (*parts, group, decimal)


def _write(value: Decimal, locale: str, fmt: str | None, currency: str | None, frac: int) -> str:
    layout = _layout(locale, fmt, currency, frac)
    if layout is None:
        return _babel_text(value, locale, fmt, currency)
    positive, positive_end, negative, negative_end, group, decimal = layout
    body = format(abs(value), f",.{frac}f").translate({ord(","): group, ord("."): decimal})
    if value.is_signed():
        return negative + body + negative_end
    return positive + body + positive_end


def format_money(
    amount: Decimal | int | None, currency: str | None = None, *, kopecks: bool = False, digits: int = 2
) -> str:
    """RUB as the user's locale writes it: `1 234 567,89 ₽` in Russian, `RUB 1,234,567.89` in English."""
    if amount is None:
        return "—"
    value = from_kopecks(int(amount)) if kopecks else Decimal(amount)
    locale = _locale()
    fmt = None if digits == 2 else ("#,##0\u00a0¤" if locale.startswith("ru") else "¤#,##0")
    currency = currency or settings.KAM_CURRENCY
    frac = get_currency_precision(currency) if fmt is None else 0
    # An amount never breaks across lines in a table cell.
    return _write(value, locale, fmt, currency, frac).replace(" ", "\u00a0")


def format_number(value: Decimal | int | float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    locale = _locale()
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return _write(number, locale, "#,##0" + ("." + "0" * digits if digits else ""), None, digits)


def format_percent(share: Decimal | float | None, digits: int = 1) -> str:
    """A share (0.1234) as a percentage in the user's locale: 12.3 %."""
    if share is None:
        return "—"
    return format_number(Decimal(str(share)) * 100, digits) + "\u00a0%"
