"""CACHE_URL=redis://…: two gunicorn workers count the rate limits and the admin lock-out in
one redis-server (started by the tests on a free port), and share the public page cache."""

import html
import re
import secrets
from urllib.parse import urlencode

import environ
import pytest
import redis

from tests.gunicorn_server import production_env, request, running_gunicorn, worker_pids
from tests.test_gunicorn_workers import wait_for_a_fresh_minute


def test_a_redis_cache_url_selects_djangos_own_redis_backend():
    config = environ.Env.cache_url_config("redis://127.0.0.1:6379/1")
    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert config["LOCATION"] == "redis://127.0.0.1:6379/1"


@pytest.fixture
def gunicorn_on_redis(tmp_path, redis_server):
    database = f"{redis_server}/{secrets.randbelow(15) + 1}"
    redis.Redis.from_url(database).flushdb()
    env = production_env(tmp_path, database)
    # No createcachetable: Redis needs no table.
    setup = [
        ["migrate", "-v0"],
        ["createsuperuser", "--noinput", "--username", "admin", "--email", "a@example.org"],
    ]
    with running_gunicorn(tmp_path, env, 2, setup) as (port, log):
        yield port, log, redis.Redis.from_url(database)


def test_two_workers_count_the_limits_in_redis(gunicorn_on_redis):
    port, log, shared = gunicorn_on_redis
    wait_for_a_fresh_minute()
    statuses = [
        request(port, "GET", f"/convention/{'x' * 43}/", headers={"X-Real-IP": "10.9.0.1"})[0]
        for _ in range(31)
    ]
    # Per process, each of the 2 workers would have granted 30.
    assert statuses == [404] * 30 + [429]
    pids = worker_pids(log, "/convention/")
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
    assert "Trop d'échecs de connexion" in html.unescape(page)

    # The public pages rendered by one worker are served from Redis by both.
    assert request(port, "GET", "/")[0] == 200
    assert any(key.endswith(b"portal:reference-data-version") for key in shared.keys("*"))
