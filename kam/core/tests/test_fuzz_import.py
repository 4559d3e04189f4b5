"""Bad import files never crash and never half-write (hypothesis).

Random bytes, and random CSV-ish text under 1C's ledger headers, go through `manage.py import_ledger`
(the command-line face of the import): the answer is either an import or a clean refusal (CommandError
with the reasons), never another exception, and a refused file leaves the ledger and the clients as they were.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam.clients.models import Client
from kam.core.testing import INNS
from kam.ledger.models import LedgerMonthly, SalesLine

pytestmark = pytest.mark.django_db

HEADER_1C = [
    "Дата",
    "Документ",
    "Номер строки",
    "Контрагент",
    "ИНН",
    "Менеджер",
    "Номенклатура",
    "Количество",
    "Выручка",
    "Себестоимость",
]
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def state() -> tuple:
    return (
        SalesLine.objects.count(),
        list(LedgerMonthly.objects.order_by("id").values_list()),
        Client.objects.count(),
    )


def import_file(data: bytes, suffix: str = ".csv", *args: str) -> bool:
    """True if imported, False if cleanly refused; any other exception fails the test."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        before = state()
        try:
            call_command("import_ledger", str(path), *args, stdout=io.StringIO(), stderr=io.StringIO())
        except CommandError as refused:
            assert str(refused).strip(), "a refusal must say why"
            assert state() == before, "a refused file changed the database"
            return False
        return True


cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "0", "-1", "1e308", "NaN", "inf", "1 234,56", "12\u00a0345,00", "00.00.2024", "31.02.2024"]
    ),
    st.sampled_from(["15.01.2024 0:00:00", "2024-01-15", "01/15/2024", "15.13.2024", "99999999"]),
    st.sampled_from([*INNS, "0000000000", "7707083894", "770708389", "'; DROP TABLE x; --"]),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=2).map(str),
)


GOOD = [
    "15.01.2024 0:00:00",
    "ТД-1",
    "1",
    'ООО "Ромашка"',
    INNS[0],
    "Test Alice",
    "Гвозди",
    "1",
    "100,00",
    "60,00",
]


@st.composite
def near_good_row(draw) -> list[str]:
    """A good 1C line with a few cells spoilt: so some rows import and the writes are reached."""
    row = list(GOOD)
    row[1] = f"ТД-{draw(st.integers(min_value=1, max_value=10**6))}"
    for index in draw(st.lists(st.integers(min_value=0, max_value=len(row) - 1), max_size=3)):
        row[index] = draw(cell)
    return row


@st.composite
def csvish(draw) -> bytes:
    sep = draw(st.sampled_from([";", ",", "\t", "|"]))
    header = draw(
        st.one_of(st.just(HEADER_1C), st.permutations(HEADER_1C), st.lists(st.text(max_size=8), max_size=12))
    )
    rows = draw(st.lists(st.one_of(near_good_row(), st.lists(cell, max_size=12)), max_size=8))
    preamble = draw(st.lists(st.text(max_size=20), max_size=2))
    text = "\r\n".join([*preamble, sep.join(header), *(sep.join(r) for r in rows)])
    encoding = draw(st.sampled_from(["utf-8", "cp1251", "utf-8-sig", "utf-16"]))
    return text.encode(encoding, errors="replace")


@FUZZ
@given(data=st.binary(max_size=2048), suffix=st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_random_bytes_are_refused_cleanly(company, data, suffix):
    import_file(data, suffix)


@FUZZ
@given(data=csvish())
def test_csvish_text_with_1c_headers_never_crashes_nor_half_writes(company, data):
    import_file(data)


@FUZZ
@given(data=csvish())
def test_taking_good_rows_never_crashes(company, data):
    import_file(data, ".csv", "--take-good-rows")


def test_a_good_file_imports_so_the_fuzzing_reaches_the_writes(company):
    row = [
        "15.01.2024 0:00:00",
        "ТД-1",
        "1",
        'ООО "Ромашка"',
        INNS[0],
        "Test Alice",
        "Гвозди",
        "1",
        "100,00",
        "60,00",
    ]
    text = "\r\n".join([";".join(HEADER_1C), ";".join(row)])
    assert import_file(text.encode("cp1251")) is True
    assert SalesLine.objects.count() == 1
