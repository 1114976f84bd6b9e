"""Every page in Portuguese: no English word and no untranslated message of the catalog reaches what
people see.

The walk goes through every URL of tests/url_table.py as one role that gets the page (200), asks for it
in pt-BR and reads its visible text: the text between tags (not scripts, styles nor comments) and the
attributes that people see (title, placeholder, aria-label, alt, hx-confirm, and the value of buttons).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from patients.models import ICD10Code
from staff import roles
from tests.url_table import ALL_ROLES, ANON, TABLE

CATALOG = Path(__file__).resolve().parents[1] / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"

# Words that cannot be Portuguese, matched as whole words whatever their case. Left out on purpose: words
# that are Portuguese too ("no", "for", "more", "time", "data", "status", "total", "normal", "local",
# "hospital"), loanwords Brazilian pages use ("login", "e-mail", "online") and short words that codes and
# abbreviations contain.
ENGLISH_WORDS = [
    "the",
    "and",
    "of",
    "with",
    "without",
    "you",
    "your",
    "this",
    "that",
    "there",
    "here",
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "not",
    "none",
    "yet",
    "from",
    "until",
    "since",
    "ago",
    "each",
    "every",
    "which",
    "who",
    "what",
    "when",
    "where",
    "save",
    "cancel",
    "search",
    "choose",
    "select",
    "submit",
    "edit",
    "delete",
    "remove",
    "add",
    "new",
    "back",
    "next",
    "previous",
    "close",
    "open",
    "book",
    "booked",
    "show",
    "hide",
    "print",
    "download",
    "sign",
    "patient",
    "patients",
    "appointment",
    "appointments",
    "bed",
    "beds",
    "ward",
    "wards",
    "room",
    "rooms",
    "floor",
    "admission",
    "admissions",
    "discharge",
    "discharged",
    "transfer",
    "nurse",
    "doctor",
    "reception",
    "manager",
    "clinic",
    "clinics",
    "exam",
    "exams",
    "order",
    "orders",
    "result",
    "results",
    "visit",
    "queue",
    "waiting",
    "list",
    "shift",
    "shifts",
    "week",
    "day",
    "days",
    "hour",
    "hours",
    "minute",
    "minutes",
    "today",
    "tomorrow",
    "yesterday",
    "date",
    "name",
    "notes",
    "reason",
    "available",
    "occupied",
    "cleaning",
    "blocked",
    "reserved",
    "pending",
    "scheduled",
    "confirmed",
    "cancelled",
    "finished",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "breadcrumb",
    "America/Sao_Paulo",
    "Show more",
    "No results",
]
# Messages of the catalog that read as Portuguese too: "sex." abbreviates sexta-feira, "for" is a verb.
PORTUGUESE_TOO = {"sex", "Sex", "for %(since)s"}
# A count and a noun that disagree: 0 or more than 1 with a singular, 1 with a plural ("0 dia", "1 dias").
_NOUNS = "dia|semana|mês|ano|hora|minuto|leito|paciente|consulta|pedido|exame|mensagem|vaga|coluna|plantão"
_PLURAL_NOUNS = (
    "dias|semanas|meses|anos|horas|minutos|leitos|pacientes|consultas|pedidos|exames|mensagens|vagas|colunas|plantões"
)
_DISAGREEING = re.compile(rf"(?<![\d,.])(?:0|[2-9]|[1-9]\d+) (?:{_NOUNS})(?!\w)|(?<![\d,.])1 (?:{_PLURAL_NOUNS})(?!\w)")

SEEN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "hx-confirm"}
BUTTON_TYPES = {"submit", "button", "reset"}


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.parts += [value for name, value in attrs if name in SEEN_ATTRIBUTES and value]
        if tag == "input" and values.get("type") in BUTTON_TYPES and values.get("value"):
            self.parts.append(values["value"] or "")
        if tag in ("script", "style"):
            self._hidden += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """What a person reads on the page, one space between its pieces."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def _unquote(quoted: str) -> str:
    text = "".join(line.strip()[1:-1] for line in quoted.strip().splitlines())
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")


_ENTRY = re.compile(
    r"^msgid ((?:\"[^\n]*\"\n)+)(?:msgid_plural ((?:\"[^\n]*\"\n)+))?((?:msgstr(?:\[\d\])? (?:\"[^\n]*\"\n)+)+)",
    re.M,
)
_PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]")


def _message_pattern(msgid: str) -> re.Pattern[str] | None:
    """A regular expression for ``msgid`` as it would read on a page, its placeholders filled in; None for
    a message too bare to tell apart from Portuguese (no word of three letters, or markup in it)."""
    if "<" in msgid or not re.search(r"[A-Za-z]{3}", _PLACEHOLDER.sub("", msgid)):
        return None
    pieces = [re.escape(piece.replace("%%", "%")) for piece in _PLACEHOLDER.split(" ".join(msgid.split()))]
    return re.compile(rf"(?<!\w){'.+?'.join(pieces)}(?!\w)")


@cache
def untranslated_messages() -> list[tuple[str, re.Pattern[str]]]:
    """The catalog's messages whose Portuguese differs from the English: each is a slip if it shows."""
    messages = []
    for match in _ENTRY.finditer(CATALOG.read_text() + "\n"):
        msgids = [_unquote(match.group(1))] + ([_unquote(match.group(2))] if match.group(2) else [])
        translations = {_unquote(part) for part in re.split(r"msgstr(?:\[\d\])? ", match.group(3))[1:]}
        for msgid in msgids:
            pattern = _message_pattern(msgid) if msgid and msgid not in translations else None
            if pattern is not None and msgid not in PORTUGUESE_TOO:
                messages.append((msgid, pattern))
    return messages


_ENGLISH = re.compile(rf"(?<![\w/-])(?:{'|'.join(re.escape(word) for word in ENGLISH_WORDS)})(?![\w/-])", re.I)


def english_in(text: str, data: Iterable[str] = ()) -> list[str]:
    """The English words, the untranslated messages of the catalog and the counts that disagree with
    their noun in ``text``, once the ``data`` (texts stored in English, not interface) is taken out."""
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, "")
    found = {match.group(0) for match in _ENGLISH.finditer(text)}
    found |= {match.group(0) for match in _DISAGREEING.finditer(text)}
    return sorted(found | {msgid for msgid, pattern in untranslated_messages() if pattern.search(text)})


# The checker itself -------------------------------------------------------------------------------


def test_visible_text_keeps_what_people_read_and_drops_code() -> None:
    html = """<html><head><title>Prontuário</title><style>.x { color: red }</style></head>
    <body><!-- Patient --><script>const label = "Save";</script>
    <p>Olá <b>mundo</b></p><input placeholder="Buscar" value="typed by someone">
    <button aria-label="Fechar" title="Fechar a janela"><img alt="Logotipo"></button>
    <input type="submit" value="Salvar"><a hx-confirm="Remover o plantão?">x</a></body></html>"""

    assert visible_text(html) == (
        "Prontuário Olá mundo Buscar Fechar Fechar a janela Logotipo Salvar Remover o plantão? x"
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Agendar consulta no dia 8 de dezembro", []),
        ("No leito A, desde ontem; não há dados", []),
        ("Paciente: Ana Souza (CL-001) · America/Sao_Paulo", ["America/Sao_Paulo"]),
        ("Salvar Cancel", ["Cancel"]),
        ("Internado há 3 days", ["days"]),
        ("Show more", ["Show more"]),
        ("Internado há 0 dia; 2 leitos livres", ["0 dia"]),
        ("1 dias de internação, 12 minuto", ["1 dias", "12 minuto"]),
        ("0 dias, 1 dia, 2,5 dia, 10 pacientes, sex. 12/12/2026", []),
    ],
)
def test_english_words_and_disagreeing_counts_are_found_as_whole_words(text: str, found: list[str]) -> None:
    findings = english_in(text)
    assert set(found) <= set(findings)
    assert bool(findings) == bool(found)


def test_an_untranslated_message_of_the_catalog_is_found_with_its_placeholders_filled() -> None:
    # "Discharged: %s" is in the catalog as "Alta: %s".
    assert "Discharged: %s" in english_in("Histórico: Discharged: Alta hospitalar")
    assert "Discharged: %s" not in english_in("Histórico: Alta: Alta hospitalar")


# The walk ------------------------------------------------------------------------------------------


# Pages outside the table (sign-in, account, errors): (who, path, expected status).
OTHER_PAGES = [
    (ANON, "/accounts/login/", 200),
    (ANON, "/accounts/password/reset/", 200),
    (roles.RECEPTION, "/accounts/password/change/", 200),
    (roles.RECEPTION, "/accounts/2fa/", 200),
    (roles.RECEPTION, "/accounts/email/", 200),
    (roles.RECEPTION, "/no-such-page/", 404),
]


def test_every_page_reads_in_portuguese(objects: dict[str, Any], role_clients: dict[str, Client]) -> None:
    """Each page of the table as the first role it is for, and the pages outside it; a finding names
    the page and the words.

    The ICD-10 catalog is the WHO's, in English: the descriptions the table's search for asthma finds
    (the objects' diagnosis is one of them) are data, not interface.
    """
    icd10 = list(ICD10Code.objects.filter(search_text__contains="asthma").values_list("description", flat=True))
    pages = [
        (url_name, role, build(objects), 200)
        for url_name, (build, expected) in sorted(TABLE.items())
        # A page only POSTed to, or that only redirects, has no role that gets it.
        if (role := next((r for r in (*ALL_ROLES, ANON) if expected[r] == 200), None)) is not None
    ]
    pages += [(path, role, path, status) for role, path, status in OTHER_PAGES]
    found: dict[str, list[str]] = {}
    read = 0
    for name, role, path, status in pages:
        response = role_clients[role].get(path, HTTP_ACCEPT_LANGUAGE="pt-br")
        assert response.status_code == status, name
        if not response["Content-Type"].startswith("text/html"):
            continue  # downloads: the occupancy CSV is tested in reports/tests
        read += 1
        words = english_in(visible_text(response.content.decode()), data=icd10)
        if words:
            found[name] = words
    assert read > 50
    assert len(icd10) > 1
    assert not found, "\n".join(f"{name}: {words}" for name, words in found.items())


MONTHS = [
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
]


def test_the_appointment_page_writes_the_date_and_the_time_zone_as_brazilians_do(
    objects: dict[str, Any], role_clients: dict[str, Client]
) -> None:
    appointment = objects["appointment"]
    local = timezone.localtime(appointment.starts_at, appointment.clinic.zone)

    response = role_clients[roles.RECEPTION].get(
        f"/scheduling/appointments/{appointment.pk}/", HTTP_ACCEPT_LANGUAGE="pt-br"
    )

    text = visible_text(response.content.decode())
    assert f"Segunda-feira, {local.day} de {MONTHS[local.month - 1]} de {local.year} · 09:00\u201309:30" in text
    assert "· horário de Brasília" in text
    assert "America/Sao_Paulo" not in text


def test_the_rota_abbreviates_weekdays_as_brazilians_do(
    objects: dict[str, Any], role_clients: dict[str, Client]
) -> None:
    response = role_clients[roles.RECEPTION].get(
        f"/staff/rota/?unit={objects['care_unit'].pk}", HTTP_ACCEPT_LANGUAGE="pt-br"
    )

    text = visible_text(response.content.decode())
    assert re.search(r"seg\. \d\d/\d\d ter\. .* qua\. .* qui\. .* sex\. .* sáb\. \d\d/\d\d dom\. \d\d/\d\d", text)
