"""Plan periods: a month, a quarter or a year, written `2026-11`, `2026-Q4` or `2026` in URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


Kind = Literal["month", "quarter", "year"]
_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: Kind
    start: date

    @classmethod
    def checked(cls, kind: str, start: date) -> Period:
        if kind not in _MONTHS:
            raise ValueError(_("Unknown period kind."))
        if start.day != 1 or (start.month - 1) % _MONTHS[kind]:
            raise ValueError(_("A period starts on the first day of its month, quarter or year."))
        return cls(kind, start)  # type: ignore[arg-type]

    @classmethod
    def containing(cls, kind: str, day: date) -> Period:
        step = _MONTHS[kind]
        return cls.checked(kind, date(day.year, (day.month - 1) // step * step + 1, 1))

    @classmethod
    def parse(cls, text: str) -> Period:
        """`2026-11` → November, `2026-Q4` → the fourth quarter, `2026` → the year."""
        text = (text or "").strip().upper()
        month = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
        quarter = re.fullmatch(r"(\d{4})-Q([1-4])", text)
        year = re.fullmatch(r"(\d{4})", text)
        if month and 1 <= int(month[2]) <= 12 and int(month[1]) >= 1900:
            return cls("month", date(int(month[1]), int(month[2]), 1))
        if quarter and int(quarter[1]) >= 1900:
            return cls("quarter", date(int(quarter[1]), (int(quarter[2]) - 1) * 3 + 1, 1))
        if year and int(year[1]) >= 1900:
            return cls("year", date(int(year[1]), 1, 1))
        raise ValueError(_("Write a period as 2026-11, 2026-Q4 or 2026."))

    @property
    def end(self) -> date:
        """The first day after the period."""
        return _add_months(self.start, _MONTHS[self.kind])

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def months(self) -> list[date]:
        return [_add_months(self.start, i) for i in range(_MONTHS[self.kind])]

    @property
    def slug(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}"

    @property
    def previous(self) -> Period:
        return Period(self.kind, _add_months(self.start, -_MONTHS[self.kind]))

    @property
    def next(self) -> Period:
        return Period(self.kind, self.end)

    def days_elapsed(self, today: date) -> int:
        """Days of the period up to and including `today` (0 before it starts, all after it ends)."""
        if today < self.start:
            return 0
        return min((today - self.start).days + 1, self.days)

    def __str__(self) -> str:
        return self.slug
