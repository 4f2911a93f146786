import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The documented production environment (README, .env.example, .ci/run).
SAFE = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "entconv.region-academique-occitanie.fr",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "MAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "CACHE_URL": "dbcache://entconv_cache",
    "CLIENT_IP_HEADER": "HTTP_X_REAL_IP",
    "TRUSTED_PROXIES": "127.0.0.1",
    "STAFF_NOTIFICATION_EMAILS": "ent-ecole@region-academique-occitanie.fr",
}


def run(tmp_path, *args, **variables):
    env = {
        key: value
        for key, value in os.environ.items()
        # Neither the tests' variables nor a developer's own .env settings leak in.
        if key not in {*SAFE, "SECRET_KEY", "DATABASE_URL"}
    }
    env.update(
        SAFE,
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    )
    env.update(variables)
    env = {key: value for key, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def check_deploy(tmp_path, **variables):
    return run(tmp_path, "manage.py", "check", "--deploy", "--fail-level", "WARNING", **variables)


def test_the_documented_production_settings_pass(tmp_path):
    result = check_deploy(tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        # The default cache: local memory.
        ({"CACHE_URL": None}, "entconv.E001"),
        ({"CACHE_URL": "dummycache://"}, "entconv.E001"),
        ({"TRUSTED_PROXIES": None}, "entconv.E002"),
        ({"TRUSTED_PROXIES": "le-proxy"}, "« le-proxy » n'est ni une adresse IP"),
        ({"MAX_REQUEST_BODY": "0"}, "entconv.E004"),
        ({"SECRET_KEY": ""}, "SECRET_KEY n'est pas définie : la clé par défaut est publique"),
    ],
)
def test_each_unsafe_production_setting_fails(tmp_path, variables, message):
    result = check_deploy(tmp_path, **variables)
    assert result.returncode != 0
    assert message in result.stderr + result.stdout


def test_the_per_process_cache_is_an_error_even_without_fail_level(tmp_path):
    result = run(tmp_path, "manage.py", "check", "--deploy", CACHE_URL="locmemcache://")
    assert result.returncode != 0
    assert "n'est pas partagé entre les processus" in result.stderr


def test_development_and_commands_need_no_key(tmp_path):
    assert run(tmp_path, "manage.py", "check", DEBUG="1", SECRET_KEY=None).returncode == 0
    assert run(tmp_path, "manage.py", "check", SECRET_KEY=None).returncode == 0
    assert run(tmp_path, "-c", "import entconv.wsgi", DEBUG="1", SECRET_KEY=None).returncode == 0


@pytest.mark.parametrize("module", ["entconv.wsgi", "entconv.asgi"])
def test_the_server_refuses_to_start_without_a_key(tmp_path, module):
    result = run(tmp_path, "-c", f"import {module}", SECRET_KEY=None)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY n'est pas définie" in result.stderr
    assert run(tmp_path, "-c", f"import {module}").returncode == 0
