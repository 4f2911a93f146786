"""Logs in one line per event, with the convention's reference when there is one."""

import logging
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

from entconv.log_format import OneLineFormatter
from tests.factories import ConventionFactory

ROOT = Path(__file__).resolve().parent.parent


def formatted(**record):
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter())
    logger = logging.getLogger("tests.log_format")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        if "exc" in record:
            try:
                raise record.pop("exc")
            except ValueError:
                logger.exception(record.pop("msg"), **record)
        else:
            logger.warning(record.pop("msg"), **record)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


def test_an_event_about_a_convention_carries_its_reference(db):
    convention = ConventionFactory()

    line = formatted(msg="PDF resté sous son nom provisoire", extra={"convention": convention})

    assert line.endswith(f" reference={convention.reference}\n")
    at, level, logger, message = line.split(" ", 3)
    assert at.endswith("Z") and "T" in at
    assert (level, logger) == ("WARNING", "tests.log_format")
    assert message.startswith("PDF resté sous son nom provisoire reference=")


def test_a_reference_given_alone_and_an_event_without_one():
    assert formatted(msg="non émise", extra={"reference": "ENT-1"}).endswith(
        " non émise reference=ENT-1\n"
    )
    assert "reference=" not in formatted(msg="/sante/ : indisponible")


def test_a_multiline_message_and_its_traceback_stay_on_one_line():
    line = formatted(
        msg="échec\nsur deux lignes", exc=ValueError("ligne 1\nligne 2"), extra={"reference": "R"}
    )

    assert line.count("\n") == 1 and line.endswith("\n")
    assert " ERROR tests.log_format échec\\nsur deux lignes reference=R exception=Traceback" in (
        line
    )
    assert "ValueError: ligne 1\\nligne 2" in line


def test_the_processes_log_through_it():
    # LOGGING, as a management command or a worker reads it.
    result = subprocess.run(
        [
            *(sys.executable, "manage.py", "shell", "-c"),
            "import logging; logging.getLogger('conventions.issuing').error("
            "'une\\nerreur', extra={'reference': 'ENT-2026-2027-16-00001-01'})",
        ],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 50},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.endswith(
        " ERROR conventions.issuing une\\nerreur reference=ENT-2026-2027-16-00001-01"
    )
