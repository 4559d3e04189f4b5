"""Money is Decimal in the system of record and integer kopecks in analytics; never float."""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, format_decimal
from django.conf import settings
from django.utils import translation

KOPECK = Decimal("0.01")


def to_kopecks(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_kopecks(kopecks: int) -> Decimal:
    return (Decimal(kopecks) / 100).quantize(KOPECK)


def _locale() -> str:
    return (translation.get_language() or "en").replace("-", "_")


def format_money(
    amount: Decimal | int | None, currency: str | None = None, *, kopecks: bool = False, digits: int = 2
) -> str:
    """RUB as the user's locale writes it: `1 234 567,89 ₽` in Russian, `RUB 1,234,567.89` in English."""
    if amount is None:
        return "—"
    value = from_kopecks(int(amount)) if kopecks else Decimal(amount)
    fmt = None if digits == 2 else ("#,##0\u00a0¤" if _locale().startswith("ru") else "¤#,##0")
    text = format_currency(
        value, currency or settings.KAM_CURRENCY, format=fmt, locale=_locale(), currency_digits=digits == 2
    )
    # An amount never breaks across lines in a table cell.
    return text.replace(" ", "\u00a0")


def format_number(value: Decimal | int | float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""), locale=_locale())


def format_percent(share: Decimal | float | None, digits: int = 1) -> str:
    """A share (0.1234) as a percentage in the user's locale: 12.3 %."""
    if share is None:
        return "—"
    return format_number(Decimal(str(share)) * 100, digits) + "\u00a0%"
