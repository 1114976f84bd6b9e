"""What each kind of message is called where staff read the outbox.

A purpose is a short code kept on the message (``appointment_reminder``); the app that sends it names
it in its ``AppConfig.ready()``, so messaging imports none of the apps above it (as the chart's panels).
"""

from __future__ import annotations

from django.utils.functional import Promise

_LABELS: dict[str, str | Promise] = {}


def register(code: str, label: str | Promise) -> None:
    _LABELS[code] = label


def purpose_labels() -> dict[str, str]:
    """Every known purpose with its label in the current language (worked out once per page)."""
    return {code: str(label) for code, label in _LABELS.items()}


def purpose_label(code: str) -> str:
    """The label of ``code``; a code nobody named is shown as it is, rather than hidden."""
    label = _LABELS.get(code)
    return str(label) if label is not None else code
