from dataclasses import dataclass
from decimal import Decimal

import pytest

from kam.orders.models import Product, ProductPrice
from kam.proposals.models import ProposalTemplate


@dataclass
class Catalogue:
    cement: Product
    brick: Product


@pytest.fixture
def catalogue(db) -> Catalogue:
    cement = Product.objects.create(
        code="CEM-500", name="Цемент М500", unit="мешок", cost_price=Decimal("300")
    )
    brick = Product.objects.create(code="BRK-1", name="Кирпич красный", unit="шт", cost_price=Decimal("10"))
    for product, prices in ((cement, ["500.00", "480.00", "450.00"]), (brick, ["20.00", "19.00", "18.00"])):
        for column, price in enumerate(prices, start=1):
            ProductPrice.objects.create(product=product, column=column, price=Decimal(price))
    return Catalogue(cement, brick)


@pytest.fixture
def template(db) -> ProposalTemplate:
    return ProposalTemplate.objects.create(
        name="Стандарт",
        intro="Предлагаем вам поставку строительных материалов на следующих условиях.",
        terms="Цены действительны при заказе всего объёма.",
        payment_terms="Отсрочка 30 дней",
        delivery_terms="Доставка на объект за счёт поставщика",
        validity_days=10,
    )
