"""The README's production command, for real: gunicorn with 3 workers sharing the database
cache. Rate limits and lock-outs must count once across workers, whatever header the
client sends, and an oversized body is refused before it is sent."""

import html
import re
import socket
import time
from urllib.parse import urlencode

import pytest

from tests.gunicorn_server import production_env, request, running_gunicorn, worker_pids

WORKERS = 3


@pytest.fixture
def gunicorn(tmp_path):
    env = production_env(tmp_path, "dbcache://entconv_cache")
    setup = [
        ["migrate", "-v0"],
        ["createcachetable"],
        ["createsuperuser", "--noinput", "--username", "admin", "--email", "a@example.org"],
    ]
    with running_gunicorn(tmp_path, env, WORKERS, setup) as (port, log):
        yield port, log


def wait_for_a_fresh_minute():
    # The portal limit counts per calendar minute: the requests must not straddle two.
    if time.time() % 60 > 40:
        time.sleep(60 - time.time() % 60 + 0.5)


def test_limits_count_across_workers_and_ignore_the_clients_header(gunicorn):
    port, log = gunicorn
    wait_for_a_fresh_minute()
    statuses = [
        request(port, "GET", f"/convention/{'x' * 43}/", headers={"X-Real-IP": f"10.9.0.{n}"})[0]
        for n in range(31)
    ]
    assert statuses == [404] * 30 + [429]
    pids = worker_pids(log, "/convention/")
    assert len(pids) > 1, "toutes les requêtes sont allées au même worker"

    def attempt(password, n):
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
                "X-Real-IP": f"10.8.0.{n}",
            },
        )

    for n in range(5):
        assert attempt("mauvais", n)[0] == 200
    status, page, _ = attempt("le-bon-mot-de-passe", 5)
    assert status == 429
    assert "Trop d'échecs de connexion" in html.unescape(page)

    # One server start for both (it takes a while): the body cap, before the body is sent.
    check_an_oversized_body_is_refused_before_it_is_sent(port)


def check_an_oversized_body_is_refused_before_it_is_sent(port):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            b"POST /convention/" + b"x" * 43 + b"/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            + f"Content-Length: {50 * 1024 * 1024}\r\n\r\n".encode()
        )
        answer = b""
        while b"au plus." not in answer and (chunk := sock.recv(4096)):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413")
    assert "La requête est trop volumineuse : 12 Mo au plus." in answer.decode()
