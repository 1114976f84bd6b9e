"""The first run: ``make run`` prints the address the web server really listens on, the README says the
same, and every process builds its links (SITE_URL) with it.

The commands come from ``make -n run`` and run as make would run them, honcho and Procfile included,
so a change to any of the three that makes them disagree fails here.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)
PRINTED = re.compile(r"^Open (http://\S+/) ")
HONCHO_LINE = re.compile(r"^\d\d:\d\d:\d\d (?P<process>\S+)\s+\| (?P<text>.*)$")
SERVING = re.compile(r"Starting development server at (http://\S+/)")


def _clean_env(**extra: str) -> dict[str, str]:
    """What a developer's shell would have: nothing of the test run (HOST, PORT, SITE_URL...) leaks in."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER"}
    return {**{k: v for k, v in os.environ.items() if k in keep}, **extra}


def _run_script(env: dict[str, str]) -> str:
    """The shell command ``make run`` runs after loading the demo: print the address, start honcho."""
    dry = subprocess.run(["make", "-n", "run"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    lines = dry.stdout.splitlines()
    loaded = next(i for i, line in enumerate(lines) if "demo_data --if-empty" in line)
    return "\n".join(lines[loaded + 1 :])


@contextmanager
def _started(script: str, env: dict[str, str]) -> Iterator[Callable[[Callable[[list[str]], bool]], list[str]]]:
    """Runs ``script`` in its own process group; yields ``wait_for(done)``, which reads its output lines
    until ``done(lines)`` holds (or fails after a minute); the whole group is stopped afterwards."""
    process = subprocess.Popen(
        ["sh", "-c", script],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    stream = process.stdout
    arrived: queue.Queue[str] = queue.Queue()

    def read() -> None:  # in a thread, so waiting never blocks on a line that is not there yet
        for line in iter(stream.readline, ""):
            arrived.put(line)

    threading.Thread(target=read, daemon=True).start()
    lines: list[str] = []

    def wait_for(done: Callable[[list[str]], bool]) -> list[str]:
        deadline = time.monotonic() + 60
        while not done(lines):
            try:
                lines.append(arrived.get(timeout=max(0.0, deadline - time.monotonic())).rstrip("\n"))
            except queue.Empty:
                pytest.fail("no answer in a minute:\n" + "\n".join(lines))
        return lines

    try:
        yield wait_for
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        stream.close()


def _printed(lines: list[str]) -> str | None:
    return next((m[1] for line in lines if (m := PRINTED.match(line))), None)


def _by_process(lines: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in lines:
        if match := HONCHO_LINE.match(line):
            out.setdefault(match["process"], []).append(match["text"])
    return out


def _procfile() -> dict[str, str]:
    entries = (line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line)
    return {name.strip(): command.strip() for name, command in entries}


def _readme_address() -> str:
    """The address the README's "Two commands" gives for ``make run``."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Two commands") :]
    match = re.search(r"^make run .*?(http://\S+/)", section, re.MULTILINE)
    assert match, "the README's 'Two commands' names no address for make run"
    return match[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SHOW_SITE_URL = "python -c \"from django.conf import settings; print('SITE_URL', settings.SITE_URL)\""


@pytest.mark.parametrize("address", [{}, {"HOST": "localhost", "PORT": "8765"}], ids=["defaults", "HOST-and-PORT"])
def test_make_run_prints_the_address_every_process_is_given(address: dict[str, str], tmp_path: Path) -> None:
    # The Procfile's own commands, echoed as the shell expands them where honcho starts them, then
    # the SITE_URL each process's settings make; honcho stops all when one ends, so each stays up.
    echoing = tmp_path / "Procfile"
    echoing.write_text(
        "".join(
            f'{name}: echo "runs: {command}"; {SHOW_SITE_URL}; exec tail -f /dev/null\n'
            for name, command in _procfile().items()
        )
    )
    env = _clean_env(
        **address,
        PROCFILE=str(echoing),
        DJANGO_SETTINGS_MODULE="clinic.settings",
        # Settings only: no server is started or joined.
        DATABASE_URL="postgres://localhost/unused",
        REDIS_URL="redis://localhost/0",
    )
    names = set(_procfile())
    with _started(_run_script(env), env) as wait_for:
        lines = wait_for(
            lambda lines: all(
                any(text.startswith("SITE_URL") for text in _by_process(lines).get(f"{name}.1", [])) for name in names
            )
        )

    printed = _printed(lines)
    assert printed is not None, lines
    said = _by_process(lines)
    (web_command,) = [text for text in said["web.1"] if text.startswith("runs: ")]
    assert web_command.endswith(f"runserver {urlsplit(printed).netloc}")
    for name in names:
        assert f"SITE_URL {printed.rstrip('/')}" in said[f"{name}.1"], name
    if not address:
        assert printed == "http://127.0.0.1:8000/"
        assert _readme_address() == printed


def _database_url() -> str:
    """The test database, as a DATABASE_URL for another process."""
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    socket_dir = db["HOST"] or db["OPTIONS"].get("host", "")
    if socket_dir.startswith("/"):
        return f"postgres://{credentials}@/{db['NAME']}?host={socket_dir}"
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def test_make_run_serves_the_site_at_the_address_it_prints(django_db_setup: Any) -> None:
    port = _free_port()
    env = _clean_env(
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=_database_url(),
        REDIS_URL=settings.REDIS_URL,
        CLINIC_TESTING="1",
        TEST_CACHE_DB=os.environ.get("TEST_CACHE_DB", "15"),
    )
    with _started(_run_script(env) + " web", env) as wait_for:
        lines = wait_for(lambda lines: any(SERVING.search(line) for line in lines))
        printed = _printed(lines)
        serving = next(m[1] for line in lines if (m := SERVING.search(line)))
        assert printed == serving == f"http://127.0.0.1:{port}/"

        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(printed, timeout=30) as response:
            page = response.read().decode()
            final = response.url

    assert urlsplit(final).path == reverse("account_login")
    assert 'name="login"' in page and 'name="password"' in page
