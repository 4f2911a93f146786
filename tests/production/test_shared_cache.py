"""CACHE_URL=redis://…: two gunicorn workers count the rate limits and the admin lock-out in
one redis-server (started by the tests on a free port), and share the public page cache."""

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import environ
import pytest
import redis

from tests.production.conftest import free_port
from tests.test_gunicorn_workers import request, wait_for_a_fresh_minute

ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_redis_cache_url_selects_djangos_own_redis_backend():
    config = environ.Env.cache_url_config("redis://127.0.0.1:6379/1")
    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert config["LOCATION"] == "redis://127.0.0.1:6379/1"


@pytest.fixture
def gunicorn_on_redis(tmp_path, redis_server):
    database = f"{redis_server}/{secrets.randbelow(15) + 1}"
    redis.Redis.from_url(database).flushdb()
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}",
        "CACHE_URL": database,
        "CLIENT_IP_HEADER": "HTTP_X_REAL_IP",
        "TRUSTED_PROXIES": "10.0.0.1",
        "PRIVATE_ROOT": str(tmp_path / "private"),
        "GUNICORN_THREADS": "2",
        "DJANGO_SUPERUSER_PASSWORD": "le-bon-mot-de-passe",
    }
    manage = [sys.executable, "manage.py"]
    # No createcachetable: Redis needs no table.
    for command in (
        ["migrate", "-v0"],
        ["createsuperuser", "--noinput", "--username", "admin", "--email", "a@example.org"],
    ):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True, timeout=120)
    log = tmp_path / "access.log"
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "entconv.wsgi"),
            *("--workers", "2", "--bind", f"127.0.0.1:{port}"),
            *("--access-logfile", str(log), "--access-logformat", "%(p)s %(s)s %(U)s"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, "gunicorn s'est arrêté au démarrage"
                assert time.monotonic() < deadline, "gunicorn n'a pas démarré en 60 s"
                time.sleep(0.2)
        yield port, log, redis.Redis.from_url(database)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)


def test_two_workers_count_the_limits_in_redis(gunicorn_on_redis):
    port, log, shared = gunicorn_on_redis
    wait_for_a_fresh_minute()
    statuses = [
        request(port, "GET", f"/convention/{'x' * 43}/", headers={"X-Real-IP": "10.9.0.1"})[0]
        for _ in range(31)
    ]
    # Per process, each of the 2 workers would have granted 30.
    assert statuses == [404] * 30 + [429]
    pids = {line.split()[0] for line in log.read_text().splitlines() if "/convention/" in line}
    assert len(pids) == 2, "toutes les requêtes sont allées au même worker"
    assert any(b"ratelimit:portal:" in key for key in shared.keys("*"))

    def attempt(password):
        _, page, headers = request(port, "GET", "/admin/login/")
        cookie = next(value for name, value in headers if name.lower() == "set-cookie")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"username": "admin", "password": password, "csrfmiddlewaretoken": csrf}
        return request(
            port,
            "POST",
            "/admin/login/",
            body=urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie.split(";")[0],
            },
        )

    for _ in range(5):
        assert attempt("mauvais")[0] == 200
    status, page, _ = attempt("le-bon-mot-de-passe")
    assert status == 429
    assert "Trop d'échecs de connexion" in page

    # The public pages rendered by one worker are served from Redis by both.
    assert request(port, "GET", "/")[0] == 200
    assert any(key.endswith(b"portal:reference-data-version") for key in shared.keys("*"))
