"""Truly concurrent attempts for the tests of the rules the database enforces."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def all_at_once(count: int, attempt: Callable[[int], object]) -> list[object]:
    """Run ``attempt(i)`` for i in range(count) in threads released together; return results or exceptions.

    Each thread has its own database connection (closed at its end), so the attempts really race
    in PostgreSQL. Use under ``transactional_db``.
    """
    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = attempt(index)
        except Exception as error:  # what each attempt raised is the outcome the test inspects
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
