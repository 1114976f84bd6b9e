"""Production mode refuses to start without its secrets, and passes Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION = {
    "CLINIC_ENV": "production",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-enough-0123456789-abcdefghij",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "BLIND_INDEX_KEY": "another-long-random-value-for-the-blind-index-0123456789",
    "ALLOWED_HOSTS": "clinica.example.org",
    "DATABASE_URL": "postgres://clinic:secret@db.example.org:5432/clinic",
    "REDIS_URL": "redis://redis.example.org:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Only what a server's environment would have: nothing of the test run leaks in.
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}}
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "EMAIL_URL"]
)
def test_production_refuses_to_start_without(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_production_refuses_a_key_that_is_not_a_fernet_key() -> None:
    result = manage("check", env={**PRODUCTION, "FIELD_ENCRYPTION_KEYS": "not-a-key"})
    assert result.returncode != 0
    assert "not a Fernet key" in result.stderr


def test_production_settings_pass_the_deployment_checks() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
