"""The main reports as PDF, Excel and CSV: read back, converted by LibreOffice, audited, permission-checked"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from openpyxl import load_workbook

from . import dash_data

pytestmark = pytest.mark.django_db

SOFFICE_TIMEOUT = 180


def pdf_text(content: bytes, tmp_path: Path) -> str:
    assert content.startswith(b"%PDF"), content[:100]
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(content)
    result = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True, timeout=60
    )
    return result.stdout


def exports(user) -> list[LogEntry]:
    return list(LogEntry.objects.filter(actor=user, additional_data__kind="export").order_by("pk"))


@pytest.fixture
def book(company):
    dash_data.two_runs(company)
    dash_data.invoices(company)
    dash_data.plans(company)
    return company


# --------------------------------------------------------------------------- PDFs read back


def test_key_accounts_pdf_lists_the_key_clients_with_the_pages_filters(book, login, tmp_path):
    response = login(book.diana).get(reverse("reports:key_accounts", args=["pdf"]), {"all": "1"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert "Key accounts" in text and "Analysis period" in text
    for name in ("Romashka", "Vasilek", "Lyutik"):
        assert name in text
    assert "all clients with sales" in text and "Page 1 of" in text
    # The same filter as the page: ABC = A leaves Lyutik... out only if it is not A.
    response = login(book.diana).get(
        reverse("reports:key_accounts", args=["pdf"]), {"all": "1", "q": "Vasil"}
    )
    text = pdf_text(response.content, tmp_path)
    assert "Vasilek" in text and "Romashka" not in text and "Search" in text


def test_concentration_pdf_has_the_figures_and_the_chart(book, login, tmp_path):
    response = login(book.diana).get(reverse("reports:concentration", args=["pdf"]))
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "Concentration of the client book" in text
    assert "HHI" in text and "Top 5 clients" in text and "Largest client" in text
    assert "Pareto and Lorenz curves" in text and "share of clients" in text  # the chart's own labels
    assert "If this client leaves" in text and "Lyutik" in text


def test_aging_pdf_has_buckets_and_totals_as_of_the_chosen_day(book, login, tmp_path):
    response = login(book.fiona).get(reverse("reports:aging", args=["pdf"]), {"by": "client"})
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "Receivables aging" in text and "Romashka" in text and "Lyutik" in text
    assert "Total" in text and "15,000" in text  # Romashka: 12 000 overdue + 3 000 current
    response = login(book.fiona).get(reverse("reports:aging", args=["pdf"]), {"by": "department"})
    text = pdf_text(response.content, tmp_path)
    assert "Sales North" in text and "Sales South" in text and "Romashka" not in text


def test_plans_pdf_has_departments_and_kams(book, login, tmp_path):
    response = login(book.diana).get(reverse("reports:plans", args=["pdf"]))
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "Plan fulfilment" in text and "Sales North" in text
    assert "Alice Test" in text and "Carol Test" in text and "100,000" in text


def test_a_russian_pdf_keeps_its_cyrillic(book, login, tmp_path):
    http = login(book.diana)
    http.post(reverse("set_language"), {"language": "ru", "next": "/"})
    response = http.get(reverse("reports:aging", args=["pdf"]))
    text = pdf_text(response.content, tmp_path)
    assert "Romashka" in text and any("а" <= ch <= "я" for ch in text)


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("report", ["key_accounts", "concentration", "aging", "plans"])
@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "csv"])
def test_roles_without_the_report_are_refused_and_nothing_is_recorded(book, login, report, fmt):
    refused = {
        "key_accounts": [book.sam, book.fiona, book.adam],
        "concentration": [book.alice, book.sam, book.fiona],
        "aging": [book.sam, book.adam],
        "plans": [book.sam, book.fiona],
    }[report]
    for user in refused:
        response = login(user).get(reverse(f"reports:{report}", args=[fmt]))
        assert response.status_code == 403, (user, report, fmt)
        assert exports(user) == []


def test_a_kam_never_gets_another_kams_clients(book, login, tmp_path):
    http = login(book.alice)
    for report in ("key_accounts", "aging"):
        text = pdf_text(http.get(reverse(f"reports:{report}", args=["pdf"]), {"all": "1"}).content, tmp_path)
        assert "Romashka" in text and "Lyutik" not in text and "Vasilek" not in text, report
    # Asking for another KAM's scope gives nothing of theirs either.
    response = http.get(
        reverse("reports:key_accounts", args=["csv"]),
        {"all": "1", "level": "manager", "scope": book.carol.pk},
    )
    assert "Lyutik" not in response.content.decode("utf-8-sig")
    text = pdf_text(http.get(reverse("reports:plans", args=["pdf"])).content, tmp_path)
    assert "Alice Test" in text and "Bob Test" not in text and "Carol Test" not in text


def test_a_head_sees_the_department_only(book, login, tmp_path):
    text = pdf_text(login(book.hannah).get(reverse("reports:aging", args=["pdf"])).content, tmp_path)
    assert "Romashka" in text and "Vasilek" in text and "Lyutik" not in text


def test_no_analysis_yet_is_a_404_not_a_crash(company, login):
    response = login(company.diana).get(reverse("reports:concentration", args=["pdf"]))
    assert response.status_code == 404


# --------------------------------------------------------------------------- audit


@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "csv"])
def test_each_export_is_written_to_the_audit_log(book, login, fmt):
    http = login(book.diana)
    for report in ("key_accounts", "concentration", "aging", "plans"):
        assert http.get(reverse(f"reports:{report}", args=[fmt]), {"all": "1"}).status_code == 200
    entries = exports(book.diana)
    assert [e.additional_data["what"] for e in entries] == [
        "key accounts",
        "concentration",
        "aging",
        "plan fulfilment",
    ]
    assert {e.additional_data["format"] for e in entries} == {fmt}
    assert entries[0].additional_data["filters"]["all"] == "1"
    assert all(e.additional_data["rows"] > 0 for e in entries)


# --------------------------------------------------------------------------- Excel and CSV read back


@pytest.mark.parametrize(
    ("report", "first_header", "name"),
    [
        ("key_accounts", "Rank", "Romashka"),
        ("concentration", "Rank", "Lyutik"),
        ("aging", "Client", "Vasilek"),
        ("plans", "Level", "Alice Test"),
    ],
)
def test_excel_and_csv_open_back(book, login, report, first_header, name):
    http = login(book.diana)
    response = http.get(reverse(f"reports:{report}", args=["xlsx"]), {"all": "1"})
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == first_header and any(name in [str(v) for v in row] for row in rows[1:])
    response = http.get(reverse(f"reports:{report}", args=["csv"]), {"all": "1"})
    parsed = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert parsed[0][0] == first_header and any(name in row for row in parsed[1:])
    assert len(parsed) == len(rows)


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        pytest.fail(
            "LibreOffice (soffice) is missing: run `bash scripts/ensure-services.sh` "
            "(Debian package libreoffice-calc-nogui) to check Excel exports"
        )
    return found


@pytest.mark.parametrize("target", ["pdf", "csv"])
def test_libreoffice_converts_the_excel_exports_without_errors(book, login, tmp_path, target):
    binary = soffice()
    http = login(book.diana)
    sources = []
    for report in ("key_accounts", "concentration", "aging", "plans"):
        path = tmp_path / f"{report}.xlsx"
        path.write_bytes(http.get(reverse(f"reports:{report}", args=["xlsx"]), {"all": "1"}).content)
        sources.append(path)
    # Another app's list export converts the same way.
    path = tmp_path / "clients.xlsx"
    path.write_bytes(http.get(reverse("clients:export", args=["xlsx"])).content)
    sources.append(path)
    out = tmp_path / "out"
    profile = tmp_path / "lo-profile"
    result = subprocess.run(
        [
            binary,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            *map(str, sources),
        ],
        capture_output=True,
        text=True,
        timeout=SOFFICE_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    for source in sources:
        converted = out / f"{source.stem}.{target}"
        assert converted.exists() and converted.stat().st_size > 0, (converted, result.stdout, result.stderr)
    if target == "csv":
        assert "Lyutik" in (out / "concentration.csv").read_text(encoding="utf-8", errors="replace")


def test_the_report_pages_link_their_documents_with_their_filters(book, login):
    http = login(book.diana)
    body = http.get(reverse("analytics:key_accounts"), {"all": "1"}).content.decode()
    assert "/reports/key-accounts.pdf?" in body and "all=1" in body and "/reports/key-accounts.csv?" in body
    body = http.get(reverse("analytics:concentration")).content.decode()
    assert "/reports/concentration.pdf?snapshot=" in body and "/reports/concentration.xlsx?" in body
    body = http.get(reverse("receivables:aging"), {"by": "kam"}).content.decode()
    assert "/reports/aging.pdf?by=kam" in body and "/reports/aging.csv?by=kam" in body
    body = http.get(reverse("planning:plans")).content.decode()
    assert "/reports/plans.pdf?kind=month" in body and "/reports/plans.xlsx?" in body
    assert "/reports/collection.xlsx?on=" in http.get(reverse("receivables:worklist")).content.decode()
    assert "/reports/payments.csv" in http.get(reverse("receivables:payments")).content.decode()
    body = http.get(reverse("receivables:invoices"), {"state": "overdue"}).content.decode()
    assert "/reports/invoices.csv?state=overdue" in body
    assert "/reports/punctuality.csv?from=" in http.get(reverse("activities:punctuality")).content.decode()


@pytest.mark.parametrize(
    ("report", "name", "fmt"),
    [
        ("collection", "Romashka", "xlsx"),
        ("collection", "Romashka", "csv"),
        ("collection", "Romashka", "pdf"),
        ("invoices", "Vasilek", "csv"),
        ("payments", "Received on", "csv"),
        ("punctuality", "Bob Test", "csv"),
        ("punctuality", "Bob Test", "xlsx"),
    ],
)
def test_lists_that_had_no_export_now_have_one(book, login, report, name, fmt, tmp_path):
    dash_data.schedule(book)
    http = login(book.diana)
    response = http.get(reverse(f"reports:{report}", args=[fmt]))
    assert response.status_code == 200
    if fmt == "csv":
        assert name in response.content.decode("utf-8-sig")
    elif fmt == "xlsx":
        rows = list(
            load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows(values_only=True)
        )
        assert any(name in [str(v) for v in row] for row in rows)
    else:
        assert name in pdf_text(response.content, tmp_path)
    assert exports(book.diana)[-1].additional_data["format"] == fmt


def test_the_new_list_exports_keep_each_role_to_its_own_clients(book, login):
    http = login(book.alice)
    for report in ("collection", "invoices"):
        body = http.get(reverse(f"reports:{report}", args=["csv"])).content.decode("utf-8-sig")
        assert "Romashka" in body and "Lyutik" not in body and "Vasilek" not in body, report
    assert login(book.sam).get(reverse("reports:collection", args=["csv"])).status_code == 403
    assert login(book.fiona).get(reverse("reports:punctuality", args=["csv"])).status_code == 403


def test_chart_coordinates_stay_numbers_in_russian(book, login, tmp_path):
    """A decimal comma inside an SVG coordinate breaks the chart (the page and the PDF alike)."""
    import re

    http = login(book.diana)
    http.post(reverse("set_language"), {"language": "ru", "next": "/"})
    body = http.get(reverse("analytics:concentration")).content.decode()
    assert "<svg" in body and not re.search(r'\b(x|y|cx|cy|x1|y1|x2|y2)="-?\d+,\d', body)
    text = pdf_text(http.get(reverse("reports:concentration", args=["pdf"])).content, tmp_path)
    assert "20 %" in text.replace("\u00a0", " ") and "Romashka" in text


def test_the_audit_log_exports_with_its_filters_for_the_director_only(book, login):
    http = login(book.diana)
    http.get(reverse("reports:aging", args=["csv"]))  # something to find
    response = http.get(reverse("reports:audit", args=["csv"]), {"kind": "export"})
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert "aging (3)" in body and "Diana Test" in body
    assert exports(book.diana)[-1].additional_data["what"] == "audit log"
    page = http.get(reverse("access:audit"), {"kind": "export"}).content.decode()
    assert "/reports/audit.csv?kind=export" in page
    for user in (book.alice, book.hannah, book.fiona):
        assert login(user).get(reverse("reports:audit", args=["xlsx"])).status_code == 403
