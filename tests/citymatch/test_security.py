"""Production hardening: the README's production settings pass `check --deploy`, the server
refuses the development key, every page sends a Content-Security-Policy that its own markup
keeps (no inline code), password reset goes through the configured mail backend."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
# An inline <script> (one without src), a <style> element or a style="…" / on…="…" attribute.
INLINE_CODE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style[\s>]|\sstyle=[\"']|\son[a-z]+=[\"']", re.IGNORECASE
)


def production_settings() -> dict[str, str]:
    """The variables of the README's production block."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- production-settings -->", 1)[1].split("<!-- /production", 1)[0]
    lines = [line for line in block.splitlines() if "=" in line and not line.startswith("`")]
    found = dict(line.split("=", 1) for line in lines)
    found["SECRET_KEY"] = "x7" * 30 + "-a-long-random-value-for-the-deploy-check"
    return found


def run_python(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_readme_production_settings_pass_the_deploy_check():
    env = production_settings()
    assert env["DEBUG"] == "false" and env["SECURE_SSL_REDIRECT"] == "true"
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_web_server_refuses_to_start_on_the_development_key():
    result = run_python(["-c", "import citymatch.wsgi"], {"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    allowed = run_python(["-c", "import citymatch.startup, django; django.setup(); "
                          "citymatch.startup.refuse_development_key()"],
                         {"DEBUG": "false", "SECRET_KEY": "k" * 60,
                          "DJANGO_SETTINGS_MODULE": "citymatch.settings"})  # fmt: skip
    assert allowed.returncode == 0, allowed.stderr


def test_compose_file_has_no_default_secret_key():
    compose = (ROOT / "docker-compose.yml").read_text()
    line = next(line for line in compose.splitlines() if "SECRET_KEY:" in line)
    assert ":?" in line and "insecure" not in line


@pytest.mark.parametrize("directory", TEMPLATE_DIRS, ids=lambda d: str(d.relative_to(ROOT)))
def test_templates_hold_no_inline_script_or_style(directory):
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in directory.rglob("*.html")
        for match in INLINE_CODE.finditer(path.read_text())
    ]
    assert not offenders


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/practices/", "/api/docs/"])
def test_pages_send_a_strict_content_security_policy(client, url):
    response = client.get(url, follow=True)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.django_db
def test_password_reset_is_hidden_without_a_mail_server(client):
    with override_settings(PASSWORD_RESET_ENABLED=False):
        assert "Forgot your password" not in client.get(reverse("login")).content.decode()
        assert client.get(reverse("password_reset")).status_code == 404


@pytest.mark.django_db
def test_password_reset_sends_through_the_configured_backend(client, user):
    user.email = "officer@city.example.org"
    user.save()
    with override_settings(
        PASSWORD_RESET_ENABLED=True,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DEFAULT_FROM_EMAIL="CityMatch <citymatch@example.org>",
    ):
        login = client.get(reverse("login")).content.decode()
        assert reverse("password_reset") in login
        sent = client.post(reverse("password_reset"), {"email": user.email})
        assert sent.status_code == 302
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [user.email]
        assert message.from_email == "CityMatch <citymatch@example.org>"
        link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", message.body)
        assert link
        form = client.get(link.group(1), follow=True)
        assert form.status_code == 200
        assert "new_password1" in form.content.decode()


def test_email_settings_come_from_email_url():
    code = (
        "from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, "
        "s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, s.PASSWORD_RESET_ENABLED)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "citymatch.settings", "DEBUG": "true"}
    smtp = run_python(
        ["-c", code], {**env, "EMAIL_URL": "smtp://mailer:p%40ss@mail.example.org:2525"}
    )
    assert smtp.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend", "mail.example.org", "2525", "mailer",
        "p@ss", "True", "False", "True",
    ]  # fmt: skip
    console = run_python(["-c", code], env)
    assert console.stdout.split()[0].endswith("console.EmailBackend")
    assert console.stdout.split()[-1] == "False"
    wrong = run_python(["-c", code], {**env, "EMAIL_URL": "mailto://x"})
    assert "EMAIL_URL must start with" in wrong.stderr
