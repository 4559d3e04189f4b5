import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from kam.orders import services
from kam.orders.models import DiscountApproval, Order, OrderSettings, OrderStatus, Product, ProductPrice

from .test_order_flow import bring, draft

S = OrderStatus
pytestmark = pytest.mark.django_db


def test_every_role_sees_the_orders_it_may(company, catalogue, fake_receivables, login):
    mine = draft(company, catalogue)
    bobs = draft(company, catalogue, client=company.bob_client, kam=company.bob)
    expected = {
        "alice": {mine.pk},
        "bob": {bobs.pk},
        "carol": set(),
        "hannah": {mine.pk, bobs.pk},
        "hugo": set(),
        "diana": {mine.pk, bobs.pk},
        "sam": {mine.pk, bobs.pk},
    }
    for user in (
        company.alice,
        company.bob,
        company.carol,
        company.hannah,
        company.hugo,
        company.diana,
        company.sam,
    ):
        http = login(user)
        response = http.get(reverse("orders:list"))
        assert response.status_code == 200, user.username
        assert {o.pk for o in response.context["page"]} == expected[user.username], user.username
        for order in (mine, bobs):
            status = http.get(reverse("orders:detail", args=[order.pk])).status_code
            assert status == (200 if order.pk in expected[user.username] else 404), (user.username, order.pk)
        http.logout()


def test_finance_and_the_admin_have_no_orders_pages(company, login):
    for user in (company.fiona, company.adam):
        http = login(user)
        assert http.get(reverse("orders:list")).status_code == 403
        assert http.get(reverse("orders:create")).status_code == 403
        http.logout()


def test_the_order_list_takes_a_constant_number_of_queries(company, catalogue, fake_receivables, login):
    http = login(company.hannah)
    draft(company, catalogue)
    with CaptureQueriesContext(connection) as one:
        assert http.get(reverse("orders:list")).status_code == 200
    for _ in range(5):
        draft(company, catalogue)
        draft(company, catalogue, client=company.bob_client, kam=company.bob)
    with CaptureQueriesContext(connection) as many:
        response = http.get(reverse("orders:list"))
    assert len(response.context["page"]) == 11
    assert len(many) == len(one)


def test_a_kam_takes_an_order_through_the_pages(company, catalogue, fake_receivables, login):
    http = login(company.alice)
    response = http.post(
        reverse("orders:create"), {"client": company.alice_client.pk, "column": "", "note": "urgent"}
    )
    order = Order.objects.get()
    assert response.url == reverse("orders:detail", args=[order.pk])
    http.post(
        reverse("orders:line_add", args=[order.pk]),
        {"product": catalogue.cement.pk, "quantity": "4", "discount": "5"},
    )
    page = http.get(reverse("orders:detail", args=[order.pk]))
    assert "Largest order that fits" in page.content.decode()
    http.post(reverse("orders:submit", args=[order.pk]))
    order.refresh_from_db()
    assert (order.status, order.total) == (S.AWAITING_APPROVAL, Decimal("1900.00"))


def test_a_kam_cannot_order_for_another_kams_client(company, catalogue, login):
    http = login(company.alice)
    response = http.post(reverse("orders:create"), {"client": company.bob_client.pk})
    assert response.status_code == 200 and response.context["form"].errors
    assert Order.objects.count() == 0


def test_sales_support_cannot_change_a_draft_nor_approve(company, catalogue, fake_receivables, login):
    order = bring(company, catalogue, S.AWAITING_APPROVAL)
    http = login(company.sam)
    assert http.post(reverse("orders:decide", args=[order.pk]), {"decision": "approve"}).status_code == 403
    other = draft(company, catalogue)
    response = http.post(
        reverse("orders:line_add", args=[other.pk]), {"product": catalogue.brick.pk, "quantity": "1"}
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == S.AWAITING_APPROVAL and other.lines.count() == 1
    assert DiscountApproval.objects.get().decision == "pending"


def test_a_kam_cannot_make_sales_supports_moves(company, catalogue, fake_receivables, login):
    order = bring(company, catalogue, S.SUBMITTED)
    http = login(company.alice)
    assert http.post(reverse("orders:move", args=[order.pk]), {"to": "entered"}).status_code == 403
    order.refresh_from_db()
    assert order.status == S.SUBMITTED


def test_a_forbidden_move_is_explained_and_changes_nothing(company, catalogue, fake_receivables, login):
    order = bring(company, catalogue, S.SUBMITTED)
    http = login(company.sam)
    response = http.post(reverse("orders:move", args=[order.pk]), {"to": "delivered"}, follow=True)
    assert "cannot become" in response.content.decode()
    order.refresh_from_db()
    assert order.status == S.SUBMITTED


def test_sales_support_never_sees_cost_prices_or_margins(company, catalogue, fake_receivables, login):
    order = bring(company, catalogue, S.SUBMITTED)
    http = login(company.sam)
    page = http.get(reverse("orders:detail", args=[order.pk]))
    assert page.context["show_margins"] is False
    assert "Margin" not in page.content.decode() and "300.00" not in page.content.decode()
    products = http.get(reverse("orders:products"))
    assert "Cost price" not in products.content.decode()
    http.logout()
    http = login(company.alice)
    page = http.get(reverse("orders:detail", args=[order.pk]))
    assert "Margin" in page.content.decode()
    assert "Cost price" in http.get(reverse("orders:products")).content.decode()


def test_the_head_sees_the_approval_queue_of_the_department(company, catalogue, fake_receivables, login):
    order = bring(company, catalogue, S.AWAITING_APPROVAL)
    http = login(company.hannah)
    assert [a.order_id for a in http.get(reverse("orders:approvals")).context["page"]] == [order.pk]
    http.post(reverse("orders:decide", args=[order.pk]), {"decision": "approve", "reason": "ok"})
    order.refresh_from_db()
    assert order.status == S.SUBMITTED
    http.logout()
    http = login(company.hugo)
    assert list(http.get(reverse("orders:approvals")).context["page"]) == []
    http.logout()
    assert login(company.alice).get(reverse("orders:approvals")).status_code == 403


def test_the_queue_is_for_sales_support(company, catalogue, fake_receivables, login):
    order = bring(company, catalogue, S.SUBMITTED)
    bring(company, catalogue, S.DRAFT)
    http = login(company.sam)
    assert [o.pk for o in http.get(reverse("orders:queue")).context["page"]] == [order.pk]
    http.logout()
    assert login(company.alice).get(reverse("orders:queue")).status_code == 403


def _xlsx(rows) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "prices.xlsx"
    return buffer


def test_a_price_list_is_imported_from_excel(company, login):
    http = login(company.hannah)
    upload = _xlsx(
        [
            ["Код", "Наименование", "Ед.", "Себестоимость", "Базовая", "Цена 2"],
            ["A1", "Gypsum", "bag", 100, 150, "140,50"],
        ]
    )
    response = http.post(reverse("orders:price_import"), {"file": upload})
    assert response.status_code == 302
    product = Product.objects.get(code="A1")
    assert product.cost_price == Decimal("100.00")
    assert dict(product.prices.values_list("column", "price")) == {1: Decimal("150.00"), 2: Decimal("140.50")}


def test_a_bad_price_list_changes_nothing_and_names_every_error(company, catalogue, login):
    http = login(company.hannah)
    csv = "code;name;base;column 2\nCEM-500;Cement;510;abc\nNEW-1;;10;9\n;x;1;1\n".encode("cp1251")
    upload = io.BytesIO(csv)
    upload.name = "prices.csv"
    response = http.post(reverse("orders:price_import"), {"file": upload})
    errors = response.context["result"].errors
    assert (2, "column 2", "'abc' is not a number") in errors
    assert any(row == 4 for row, _c, _m in errors)
    assert ProductPrice.objects.get(product=catalogue.cement, column=1).price == Decimal("500.00")
    assert not Product.objects.filter(code="NEW-1").exists()


def test_only_heads_and_the_director_import_prices(company, login):
    for user in (company.alice, company.sam):
        http = login(user)
        upload = io.BytesIO(b"code;name;base\nX;y;1\n")
        upload.name = "p.csv"
        assert http.post(reverse("orders:price_import"), {"file": upload}).status_code == 403
        http.logout()
    assert not Product.objects.exists()


def test_returns_and_refusals_are_analysed_by_reason_product_client_and_kam(
    company, catalogue, fake_receivables, login
):
    delivered = bring(company, catalogue, S.DELIVERED)
    line = delivered.lines.get()
    services.order_return_create(
        order_id=delivered.pk, actor=company.sam, quantities={line.pk: "2"}, reason="quality"
    )
    refused = bring(company, catalogue, S.SUBMITTED)
    services.order_move(order_id=refused.pk, to=S.REFUSED, actor=company.sam, reason="price")
    bobs = draft(company, catalogue, client=company.bob_client, kam=company.bob)
    services.order_submit(order_id=bobs.pk, actor=company.bob)
    services.order_move(order_id=bobs.pk, to=S.REFUSED, actor=company.sam, reason="price")
    http = login(company.hannah)
    rows = {r.label: r for r in http.get(reverse("orders:analysis"), {"by": "reason"}).context["rows"]}
    assert (rows["Quality"].returns, rows["Quality"].returned_amount) == (1, Decimal("1000.00"))
    assert (rows["Price"].refusals, rows["Price"].refused_amount) == (2, Decimal("10000.00"))
    by_kam = {r.label: r for r in http.get(reverse("orders:analysis"), {"by": "kam"}).context["rows"]}
    assert by_kam["Alice Test"].refusals == 1 and by_kam["Bob Test"].refusals == 1
    by_product = http.get(reverse("orders:analysis"), {"by": "product"}).context["rows"]
    assert [(r.returns, r.refusals) for r in by_product] == [(1, 2)]
    http.logout()
    alice = login(company.alice)
    by_client = alice.get(reverse("orders:analysis"), {"by": "client"}).context["rows"]
    assert [r.label for r in by_client] == ["Romashka"]  # bob's client stays hidden
    export = alice.get(reverse("orders:analysis_export", args=["xlsx"]), {"by": "client"})
    assert export.status_code == 200


def test_only_the_director_changes_the_order_rules(company, login):
    data = {
        "kam_max_discount": "5",
        "overdue_tolerance_amount": "1000",
        "overdue_tolerance_days": "3",
        "overdue_action": "block",
    }
    for user in (company.hannah, company.alice, company.sam):
        http = login(user)
        assert http.post(reverse("orders:settings"), data).status_code == 403
        http.logout()
    assert OrderSettings.current().kam_max_discount == Decimal(3)
    http = login(company.diana)
    assert http.post(reverse("orders:settings"), data).status_code == 302
    config = OrderSettings.current()
    assert (config.kam_max_discount, config.overdue_tolerance_days, config.overdue_action) == (
        Decimal(5),
        3,
        "block",
    )


def test_exports_keep_cost_prices_from_sales_support(company, catalogue, fake_receivables, login):
    draft(company, catalogue)
    http = login(company.sam)
    csv = http.get(reverse("orders:product_export", args=["csv"])).content.decode("utf-8-sig")
    assert "Cost price" not in csv and "CEM-500" in csv and "300.00" not in csv
    orders = http.get(reverse("orders:export", args=["xlsx"]))
    assert orders.status_code == 200
    http.logout()
    csv = login(company.alice).get(reverse("orders:product_export", args=["csv"])).content.decode("utf-8-sig")
    assert "Cost price" in csv and "300.00" in csv


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("sam", "orders:queue"),
        ("hannah", "orders:approvals"),
        ("sam", "orders:products"),
        ("hannah", "orders:analysis"),
    ],
)
def test_lists_take_a_constant_number_of_queries(company, catalogue, fake_receivables, login, who, url):
    http = login(getattr(company, who))

    def add_some() -> None:
        submitted = draft(company, catalogue)
        services.order_submit(order_id=submitted.pk, actor=company.alice)
        waiting = draft(company, catalogue, discount="20")
        services.order_submit(order_id=waiting.pk, actor=company.alice)
        refused = draft(company, catalogue, client=company.bob_client, kam=company.bob)
        services.order_submit(order_id=refused.pk, actor=company.bob)
        services.order_move(order_id=refused.pk, to=S.REFUSED, actor=company.sam, reason="price")
        code = f"P{Product.objects.count()}"
        product = Product.objects.create(code=code, name=code, cost_price=Decimal(1))
        ProductPrice.objects.create(product=product, column=1, price=Decimal(2))

    add_some()
    with CaptureQueriesContext(connection) as one:
        assert http.get(reverse(url)).status_code == 200
    for _ in range(4):
        add_some()
    with CaptureQueriesContext(connection) as many:
        assert http.get(reverse(url)).status_code == 200
    assert len(many) == len(one)


def test_dashboard_widgets_show_each_role_what_needs_action(company, catalogue, fake_receivables, login):
    waiting = bring(company, catalogue, S.AWAITING_APPROVAL)
    queued = bring(company, catalogue, S.SUBMITTED)
    home = reverse("home") if _has_url("home") else "/"
    page = login(company.hannah).get(home).content.decode()
    assert "Orders waiting for your approval" in page and f"#{waiting.pk}" in page
    page = login(company.sam).get(home).content.decode()
    assert "Sales-support queue" in page and f"#{queued.pk}" in page
    page = login(company.alice).get(home).content.decode()
    assert "My orders in progress" in page
    page = login(company.carol).get(home).content.decode()
    assert "No draft, no order waiting for approval" in page  # an empty state in words


def _has_url(name: str) -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def test_the_meeting_brief_section_lists_open_orders_and_returns(company, catalogue, fake_receivables):
    from kam.orders.widgets import brief_section

    order = bring(company, catalogue, S.SUBMITTED)
    section = brief_section(company.alice_client, company.alice)
    assert section is not None and [o.pk for o in section["orders"]] == [order.pk]
    assert section["returns"] is None
    assert brief_section(company.alice_client, company.carol) is None


def test_sales_support_records_a_return_and_an_act_from_the_order_page(
    company, catalogue, fake_receivables, login
):
    order = bring(company, catalogue, S.DELIVERED)
    line = order.lines.get()
    http = login(company.sam)
    response = http.post(
        reverse("orders:return", args=[order.pk]),
        {f"qty-{line.pk}": "2,5", "reason": "damaged", "note": "torn bags"},
        follow=True,
    )
    assert "The return is recorded." in response.content.decode()
    order.refresh_from_db()
    assert order.status == S.PARTLY_RETURNED
    assert order.returns.get().lines.get().quantity == Decimal("2.5")
    response = http.post(
        reverse("orders:act", args=[order.pk]), {f"qty-{line.pk}": "oops", "kind": "shortage"}, follow=True
    )
    assert "is not a quantity" in response.content.decode()
    assert order.acts.count() == 0
    http.post(reverse("orders:act", args=[order.pk]), {f"qty-{line.pk}": "1", "kind": "misgrading"})
    assert order.acts.get().kind == "misgrading"
    page = http.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Misgrading" in page and "torn bags" in page


def test_the_kam_edits_a_draft_column_and_lines_from_the_page(company, catalogue, fake_receivables, login):
    order = draft(company, catalogue, qty="2")
    http = login(company.alice)
    http.post(reverse("orders:update", args=[order.pk]), {"column": "2", "note": "call first"})
    order.refresh_from_db()
    assert (order.column, order.note, order.total) == (2, "call first", Decimal("960.00"))
    response = http.post(
        reverse("orders:line_add", args=[order.pk]),
        {"product": catalogue.brick.pk, "quantity": "-1"},
        follow=True,
    )
    assert "Quantity" in response.content.decode()
    assert order.lines.count() == 1
    http.post(reverse("orders:line_remove", args=[order.pk, order.lines.get().pk]))
    order.refresh_from_db()
    assert (order.lines.count(), order.total) == (0, Decimal(0))


def test_another_kam_cannot_touch_the_draft(company, catalogue, fake_receivables, login):
    order = draft(company, catalogue)
    http = login(company.bob)  # same department, not alice's client
    assert http.post(reverse("orders:update", args=[order.pk]), {"column": "3"}).status_code == 404
    assert http.post(reverse("orders:submit", args=[order.pk])).status_code == 404
    order.refresh_from_db()
    assert (order.column, order.status) == (1, S.DRAFT)


def test_a_head_edits_a_product_and_its_column_prices(company, catalogue, login):
    http = login(company.hannah)
    url = reverse("orders:product_edit", args=[catalogue.cement.pk])
    form = http.get(url).context["form"]
    assert form.initial["price_3"] == Decimal("450.00")
    data = {"code": "CEM-500", "name": "Cement M500 D0", "unit": "bag", "cost_price": "310", "active": "on"}
    data |= {"price_1": "520", "price_2": "", "price_4": "400"}
    assert http.post(url, data).status_code == 302
    prices = dict(catalogue.cement.prices.values_list("column", "price"))
    assert prices == {1: Decimal("520.00"), 4: Decimal("400.00")}
    clash = http.post(url, data | {"code": "BRK-1"})
    assert "Another product has this code." in clash.content.decode()


def test_kams_and_sales_support_cannot_edit_products(company, catalogue, login):
    for user in (company.alice, company.sam):
        http = login(user)
        url = reverse("orders:product_edit", args=[catalogue.cement.pk])
        assert http.post(url, {"code": "X", "name": "X", "unit": "x", "cost_price": "1"}).status_code == 403
        http.logout()
    catalogue.cement.refresh_from_db()
    assert catalogue.cement.code == "CEM-500"
