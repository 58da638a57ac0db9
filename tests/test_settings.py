"""Production settings: refuse to start without their secrets, pass ``check --deploy``.

Each case runs ``manage.py`` in a fresh process, because settings are read once at start.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    """Run ``manage.py`` with only the given environment (plus PATH and a scratch var dir)."""
    clean_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "COMPTOIR_VAR_DIR": str(tmp_path / "var"),
        **env,
    }
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "SECRET_KEY, ALLOWED_HOSTS"),
        ({"SECRET_KEY": secrets.token_urlsafe(50)}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": "comptoir.example.org"}, "SECRET_KEY"),
    ],
)
def test_production_refuses_to_start_without_its_secrets(tmp_path, env, missing):
    result = manage("check", env={"DJANGO_ENV": "production", **env}, tmp_path=tmp_path)

    assert result.returncode != 0
    assert f"Production settings need these environment variables: {missing}" in result.stderr


def test_production_settings_pass_the_deploy_checks(tmp_path):
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "comptoir.example.org",
    }

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_defaults_need_no_environment(tmp_path):
    result = manage("check", env={}, tmp_path=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
