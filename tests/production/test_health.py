"""/sante/ for the load balancers: 200 when the database, the private storage and the cache
answer, 503 otherwise, without saying which."""

import pytest

from conventions.models import Convention
from tests.production.conftest import free_port

pytestmark = pytest.mark.django_db


def redis_cache(url):
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}


def test_everything_answers(client):
    response = client.get("/sante/")
    assert (response.status_code, response.content) == (200, b"ok\n")
    assert "no-cache" in response["Cache-Control"]


def test_with_the_object_storage_and_redis(client, s3_storage, redis_server, settings):
    settings.CACHES = redis_cache(redis_server)
    assert client.get("/sante/").status_code == 200
    assert client.head("/sante/").status_code == 200
    assert client.post("/sante/").status_code == 405


def test_a_missing_bucket_answers_503_without_detail(client, s3_storage, monkeypatch, caplog):
    monkeypatch.setattr(s3_storage, "bucket_name", "absent")
    monkeypatch.setattr(s3_storage, "_bucket", None)
    assert Convention._meta.get_field("pdf").storage is s3_storage

    response = client.get("/sante/")

    assert (response.status_code, response.content) == (503, b"indisponible\n")
    assert "/sante/ : indisponible (stockage des fichiers)" in caplog.text


def test_a_redis_that_does_not_answer_gives_503(client, settings, caplog):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{free_port()}")

    response = client.get("/sante/")

    assert (response.status_code, response.content) == (503, b"indisponible\n")
    assert "/sante/ : indisponible (cache)" in caplog.text
