"""Production settings pass Django's deployment checklist, and responses carry the security headers."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def production_env(**extra: str) -> dict:
    """The environment of a production deployment behind TLS (settings read only the environment).

    Built from scratch, not copied from this test process, whose environment
    carries test-only switches (e.g. DJANGO_ALLOW_ASYNC_UNSAFE) a deployment must not have.
    """
    return {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": "false", "HTTPS": "true",
            "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "shop.example.com",
            "DATABASE_URL": os.environ.get("DATABASE_URL", "sqlite:///:memory:"), **extra}  # fmt: skip


def test_production_settings_pass_check_deploy_without_a_warning():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = production_env()
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("url", ["/", "/api/sync/config/", "/api/sync/pull/products/", "/manifest.webmanifest"])
def test_responses_carry_the_security_headers(client, url):
    response = client.get(url)

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    script_src = next(d for d in policy.split(";") if d.strip().startswith(("script-src", "default-src")))
    assert "'unsafe-inline'" not in script_src


def test_hsts_is_sent_over_https_when_deployed_behind_tls(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    https = Client()  # a new handler: SecurityMiddleware reads its settings when it is created

    secure = https.get("/api/sync/config/", secure=True)
    plain = https.get("/api/sync/config/")

    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in plain  # browsers ignore HSTS over plain HTTP


def test_https_setting_turns_on_redirects_secure_cookies_and_hsts():
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["True", "True", "True", "True"], result.stderr
