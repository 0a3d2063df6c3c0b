"""Production settings pass Django's deployment checklist without a single warning."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _qinqing() -> list[str]:
    script = Path(sys.executable).with_name("qinqing")
    return [str(script)] if script.exists() else [sys.executable, "-m", "qinqing.cli"]


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QINQING_", "PYTEST", "DJANGO_SETTINGS"))}
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env.update(
        QINQING_PRODUCTION="1",
        QINQING_SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(50)),
        QINQING_ALLOWED_HOSTS="example.gov.cn",
        QINQING_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="qinqing.settings",
        **extra,
    )
    return env


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = subprocess.run(
        [*_qinqing(), "check", "--deploy", "--fail-level", "WARNING"],
        cwd=tmp_path, env=_production_env(tmp_path), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _production_env(tmp_path)
    del env["QINQING_SECRET_KEY"]
    result = subprocess.run(
        [*_qinqing(), "check"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "QINQING_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("flag", ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT"])
def test_production_settings_turn_on_secure_transport(tmp_path, flag):
    code = f"import django;django.setup();from django.conf import settings;print(settings.{flag})"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=_production_env(tmp_path), capture_output=True,
        text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
