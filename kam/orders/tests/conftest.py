from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from kam.orders import credit
from kam.orders.models import Product, ProductPrice


@dataclass
class FakeReceivables:
    """Stands in for kam.receivables in unit tests: set what the credit check will read."""

    receivables: dict[int, Decimal] = field(default_factory=dict)
    overdue: dict[int, Decimal] = field(default_factory=dict)
    score: int = 80
    invoices: list[dict[str, Any]] = field(default_factory=list)
    credit_notes: list[dict[str, Any]] = field(default_factory=list)

    def open_receivables(self, client_id: int, *, on: Any = None) -> Decimal:
        return self.receivables.get(client_id, Decimal(0))

    def overdue_debt(self, client_id: int, *, on: Any, tolerance_days: int = 0) -> Decimal:
        return self.overdue.get(client_id, Decimal(0))

    def credit_score(self, client_id: int) -> int:
        return self.score

    def invoice_for_order(self, **kwargs: Any) -> Any:
        self.invoices.append(kwargs)
        return None

    def credit_note_for_return(self, **kwargs: Any) -> Any:
        self.credit_notes.append(kwargs)
        return None


@pytest.fixture
def fake_receivables(monkeypatch) -> FakeReceivables:
    fake = FakeReceivables()
    for name in (
        "open_receivables",
        "overdue_debt",
        "credit_score",
        "invoice_for_order",
        "credit_note_for_return",
    ):
        monkeypatch.setattr(credit, name, getattr(fake, name))
    return fake


@dataclass
class Catalogue:
    cement: Product
    brick: Product


@pytest.fixture
def catalogue(db) -> Catalogue:
    cement = Product.objects.create(
        code="CEM-500", name="Cement M500", unit="bag", cost_price=Decimal("300.00")
    )
    brick = Product.objects.create(code="BRK-1", name="Brick", unit="pcs", cost_price=Decimal("10.00"))
    for product, prices in ((cement, ["500.00", "480.00", "450.00"]), (brick, ["20.00", "19.00", "18.00"])):
        for column, price in enumerate(prices, start=1):
            ProductPrice.objects.create(product=product, column=column, price=Decimal(price))
    return Catalogue(cement, brick)
