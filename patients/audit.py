"""Verification of the chart access log's hash chain."""

from __future__ import annotations

from dataclasses import dataclass

from patients.models import ChartAccess


@dataclass(frozen=True)
class ChainCheck:
    checked: int
    first_broken_id: int | None = None
    reason: str = ""


def verify_chain(batch_size: int = 5000) -> ChainCheck:
    """Walk the log in insertion order, recomputing each entry's hash and link to the one before."""
    previous = ""
    checked = 0
    for entry in ChartAccess.objects.order_by("id").iterator(chunk_size=batch_size):
        if entry.previous_hash != previous:
            return ChainCheck(checked, entry.pk, "it does not link to the entry before it")
        if entry.compute_hash() != entry.entry_hash:
            return ChainCheck(checked, entry.pk, "its content does not match its hash")
        previous = entry.entry_hash
        checked += 1
    return ChainCheck(checked)
