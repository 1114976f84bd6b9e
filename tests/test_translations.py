"""Portuguese (Brazil) and Spanish catalogs are complete: no empty and no fuzzy translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

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
