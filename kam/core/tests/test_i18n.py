"""The Russian interface: the language switch, Russian money, plural forms and a complete catalogue."""

import gettext
import re
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from kam.core.money import format_money

RU_DIR = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES"
RU_PLURAL_FORMS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
)
PLACEHOLDER = re.compile(r"%\([A-Za-z_0-9]+\)[sd]|%[sd]")


def _unquote(text: str) -> str:
    """A PO string literal's content, with the escapes msgfmt understands."""
    return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")


def _catalogue() -> list[dict]:
    """The entries of ru/django.po, without obsolete ones: msgid, msgid_plural, msgstr[...] and flags."""
    entries: list[dict] = []
    block = (RU_DIR / "django.po").read_text(encoding="utf-8").split("\n\n")
    for chunk in block:
        entry: dict = {"flags": set(), "msgstr": {}, "msgid": None, "msgid_plural": None, "ctx": None}
        key: tuple[str, int] | None = None
        for line in chunk.splitlines():
            if line.startswith("#~"):
                entry = {}
                break
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("msgctxt "):
                key = ("ctx", 0)
                entry["ctx"] = _unquote(line.split(" ", 1)[1])
            elif line.startswith("msgid_plural "):
                key = ("msgid_plural", 0)
                entry["msgid_plural"] = _unquote(line.split(" ", 1)[1])
            elif line.startswith("msgid "):
                key = ("msgid", 0)
                entry["msgid"] = _unquote(line.split(" ", 1)[1])
            elif line.startswith("msgstr"):
                index = int(line[7 : line.index("]")]) if line.startswith("msgstr[") else 0
                key = ("msgstr", index)
                entry["msgstr"][index] = _unquote(line.split(" ", 1)[1])
            elif line.startswith('"') and key:
                if key[0] == "msgstr":
                    entry["msgstr"][key[1]] += _unquote(line)
                else:
                    entry[key[0]] += _unquote(line)
        if entry and entry["msgid"] is not None:
            entries.append(entry)
    return entries


def test_a_kam_who_switches_to_russian_sees_the_clients_list_in_russian(company, login):
    client = login(company.alice)
    response = client.post(reverse("set_language"), {"language": "ru", "next": reverse("clients:list")})
    assert response.status_code == 302

    page = client.get(reverse("clients:list")).content.decode()

    assert '<html lang="ru">' in page
    assert "Клиенты" in page
    assert "Найти" in page
    assert "Romashka" in page
    assert ">Find<" not in page


def test_switching_back_to_english_shows_english_again(company, login):
    client = login(company.alice)
    client.post(reverse("set_language"), {"language": "ru"})
    client.post(reverse("set_language"), {"language": "en"})

    page = client.get(reverse("clients:list")).content.decode()

    assert "Clients" in page
    assert "Клиенты" not in page


def test_money_is_written_the_russian_way_in_russian():
    with translation.override("ru"):
        text = format_money(Decimal("1234567.89"))

    normalised = re.sub(r"[\u00a0\u202f\u2009]", " ", text)
    assert "1 234 567,89" in normalised
    assert "₽" in normalised


def test_money_stays_english_style_in_english():
    with translation.override("en"):
        text = format_money(Decimal("1234567.89"))

    assert "1,234,567.89" in text


def test_russian_plurals_take_the_right_one_of_three_forms():
    expected = {
        1: "строка",
        2: "строки",
        4: "строки",
        5: "строк",
        11: "строк",
        12: "строк",
        21: "строка",
        22: "строки",
        111: "строк",
    }
    with translation.override("ru"):
        got = {
            n: translation.ngettext("%(counter)s row", "%(counter)s rows", n) % {"counter": n}
            for n in expected
        }

    assert got == {n: f"{n} {word}" for n, word in expected.items()}


def test_the_russian_catalogue_declares_three_plural_forms():
    header = next(entry for entry in _catalogue() if entry["msgid"] == "")["msgstr"][0]

    assert f"Plural-Forms: {RU_PLURAL_FORMS}\n" in header
    assert "Language: ru\n" in header
    assert "charset=UTF-8" in header


def test_every_string_in_the_russian_catalogue_is_translated_and_none_is_fuzzy():
    entries = [entry for entry in _catalogue() if entry["msgid"]]
    assert len(entries) > 100  # the catalogue was really parsed

    untranslated = [e["msgid"] for e in entries if not e["msgstr"] or not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    short_plurals = [e["msgid"] for e in entries if e["msgid_plural"] and sorted(e["msgstr"]) != [0, 1, 2]]

    assert untranslated == [], "run `make messages` and translate these in locale/ru/LC_MESSAGES/django.po"
    assert fuzzy == [], "check these translations and remove their `#, fuzzy` flag"
    assert short_plurals == [], "Russian plurals need msgstr[0], msgstr[1] and msgstr[2]"


def test_translations_keep_every_placeholder_of_the_english_text():
    wrong = []
    for entry in _catalogue():
        english = [entry["msgid"]] + ([entry["msgid_plural"]] if entry["msgid_plural"] else [])
        wanted = {tuple(sorted(PLACEHOLDER.findall(text))) for text in english}
        for text in entry["msgstr"].values():
            # a plural form may drop the count ("одна строка"); it may only use placeholders it was given
            ok = (
                tuple(sorted(PLACEHOLDER.findall(text))) in wanted
                if entry["msgid_plural"] is None
                else set(PLACEHOLDER.findall(text)) <= {name for names in wanted for name in names}
            )
            if entry["msgid"] and not ok:
                wrong.append((entry["msgid"], text))

    assert wrong == []


def test_the_committed_mo_file_is_compiled_from_the_current_po_file():
    with (RU_DIR / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    stale = []
    for entry in _catalogue():
        if not entry["msgid"]:
            continue
        ctx, msgid, plural = entry["ctx"], entry["msgid"], entry["msgid_plural"]
        if plural is None:
            got = compiled.pgettext(ctx, msgid) if ctx else compiled.gettext(msgid)
            if got != entry["msgstr"][0]:
                stale.append(msgid)
        else:
            got = compiled.npgettext(ctx, msgid, plural, 5) if ctx else compiled.ngettext(msgid, plural, 5)
            if got != entry["msgstr"].get(2):
                stale.append(msgid)

    assert stale == [], "run `.venv/bin/python manage.py compilemessages --ignore=.venv` and commit django.mo"
