"""Portuguese (Brazil) and Spanish catalogs are complete: no empty and no fuzzy translation."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from clinic.models import BRAZIL_TIME_ZONES

LOCALE = Path(__file__).resolve().parents[1] / "locale"
# One catalog entry: its comments and flags, msgid, optional msgid_plural, and its msgstr(s).
ENTRY = re.compile(
    r'(#[^\n]*\n)*msgid ((?:"[^\n]*"\n)+)'
    r'(?:msgid_plural (?:"[^\n]*"\n)+)?'
    r'((?:msgstr(?:\[\d\])? (?:"[^\n]*"\n)+)+)'
)


def _text(quoted: str) -> str:
    return "".join(line.strip()[1:-1] for line in quoted.strip().splitlines())


@pytest.mark.parametrize("language", ["pt_BR", "es"])
def test_catalog_is_complete(language: str) -> None:
    catalog = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text()
    entries = [m for m in ENTRY.finditer(catalog + "\n") if _text(m.group(2))]
    assert len(entries) > 250
    fuzzy = [_text(m.group(2)) for m in entries if "fuzzy" in (m.group(0).split("msgid")[0])]
    empty = [
        _text(m.group(2))
        for m in entries
        if any(not _text(part) for part in re.split(r"msgstr(?:\[\d\])? ", m.group(3))[1:])
    ]
    assert fuzzy == []
    assert empty == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [("pt-br", "Entrar"), ("es", "Iniciar sesión"), ("en", "Sign in")],
)
def test_pages_speak_the_chosen_language(language: str, expected: str) -> None:
    response = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=language)
    assert f"<title>{expected}" in response.content.decode()


def test_portuguese_is_the_default(db: None) -> None:
    response = Client().get("/accounts/login/")
    assert "<title>Entrar" in response.content.decode()
    assert '<html lang="pt-br">' in response.content.decode()


def test_the_language_switcher_changes_the_language(reception: object, client_for: object) -> None:
    client = client_for(reception)  # type: ignore[operator]
    assert "<title>Início" in client.get("/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="es">' in page
    assert 'value="es" lang="es" selected' in page


# Dates, counts and time zones as a Brazilian hospital writes them --------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{ day|date:"DATE_FORMAT" }}', "12 de dezembro de 2026"),
        ('{{ day|date:"YEAR_MONTH_FORMAT" }}', "dezembro de 2026"),
        ('{{ day|date:"D d/m" }}', "sáb. 12/12"),
        ('{{ day|date:"N" }} {{ day|date:"E" }}', "dez. dezembro"),
        ('{{ monday|date:"D" }} {{ march|date:"F" }} {{ march|date:"N" }}', "seg. março mar."),
        ("{{ day|timesince:day }}", "0\xa0minutos"),
    ],
)
def test_dates_read_as_brazilians_write_them(template: str, expected: str) -> None:
    context = {"day": date(2026, 12, 12), "monday": date(2026, 12, 7), "march": date(2026, 3, 1)}
    with translation.override("pt-br"):
        assert Template(template).render(Context(context)) == expected


@pytest.mark.parametrize(
    ("language", "zero", "one"), [("pt-br", "0 dias", "1 dia"), ("es", "0 días", "1 día"), ("en", "0 days", "1 day")]
)
def test_zero_takes_the_plural(language: str, zero: str, one: str) -> None:
    with translation.override(language):
        assert translation.ngettext("%(days)s day", "%(days)s days", 0) % {"days": 0} == zero
        assert translation.ngettext("%(days)s day", "%(days)s days", 1) % {"days": 1} == one


@pytest.mark.parametrize("language", ["pt_BR", "es"])
def test_catalogs_count_zero_as_plural(language: str) -> None:
    catalog = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text()
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in catalog


def test_every_brazilian_time_zone_is_named_as_people_say_it() -> None:
    names = {}
    with translation.override("pt-br"):
        for zone, _label in BRAZIL_TIME_ZONES:
            names[zone] = render_to_string("clinic/_time_zone.html", {"zone": zone}).strip()
    assert names["America/Sao_Paulo"] == "horário de Brasília"
    assert names["America/Recife"] == "horário de Brasília"
    assert names["America/Manaus"] == "horário do Amazonas"
    assert names["America/Rio_Branco"] == "horário do Acre"
    assert [name for name in names.values() if not name.startswith("horário d") or "/" in name] == []
