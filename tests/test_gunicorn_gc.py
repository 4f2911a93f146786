"""gunicorn.conf.py's worker hook: the objects of the started application are moved out of
the garbage collector's reach (gc.freeze), so that a full collection under load no longer
scans them, and each collection's length is logged when GUNICORN_GC_LOG asks for it."""

import gc
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def config():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    callbacks = list(gc.callbacks)
    yield module
    gc.unfreeze()
    for callback in gc.callbacks:
        if callback not in callbacks and hasattr(callback, "log"):
            callback.log.close()
    gc.callbacks[:] = callbacks


def test_the_started_application_is_frozen(config, monkeypatch):
    monkeypatch.delenv("GUNICORN_GC_LOG", raising=False)
    gc.unfreeze()
    callbacks = len(gc.callbacks)
    config.post_worker_init(worker=None)
    # Every object the process holds then (here, the test run's as well) is frozen.
    assert gc.get_freeze_count() > 10_000
    assert len(gc.callbacks) == callbacks


def test_each_collection_is_logged_when_asked(config, monkeypatch, tmp_path):
    monkeypatch.setenv("GUNICORN_GC_LOG", str(tmp_path))
    config.post_worker_init(worker=None)
    gc.collect(0)
    gc.collect(2)
    (log,) = tmp_path.glob("gc-*.log")
    lines = [line.split() for line in log.read_text().splitlines()]
    generations = [int(generation) for generation, _milliseconds in lines]
    assert generations[-2:] == [0, 2]
    assert all(float(milliseconds) >= 0 for _generation, milliseconds in lines)
