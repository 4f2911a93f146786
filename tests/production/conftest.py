"""Real services for the production tests, started on free ports of 127.0.0.1: an S3 server
(moto, in server mode) and redis-server."""

import secrets
import shutil
import socket
import subprocess
import time

import boto3
import pytest
from django.core.files.storage import storages

from entconv import object_storage


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"{host}:{port}"
    server.stop()


@pytest.fixture
def storage_url(s3_server):
    """A STORAGE_URL naming a new, empty bucket of the S3 server."""
    bucket = f"entconv-{secrets.token_hex(6)}"
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{s3_server}",
        aws_access_key_id="entconv",
        aws_secret_access_key="secret",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    return f"s3+http://entconv:secret@{s3_server}/{bucket}"


def bucket_keys(storage):
    return sorted(entry.key for entry in storage.bucket.objects.all())


@pytest.fixture
def s3_storage(storage_url, private_storage, monkeypatch):
    """The private files in the S3 server's bucket, built from STORAGE_URL as settings.py
    builds it."""
    from conventions.models import Convention

    storage = storages.create_storage(object_storage.private_storage(storage_url, None))
    for field in Convention._meta.get_fields():
        if getattr(field, "storage", None) is not None and hasattr(field, "upload_to"):
            monkeypatch.setattr(field, "storage", storage)
    return storage


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server est absent : `make system-deps` l'installe (paquet Debian).")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path_factory.mktemp("redis"),
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, "redis-server s'est arrêté au démarrage"
                assert time.monotonic() < deadline, "redis-server n'a pas démarré en 20 s"
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
