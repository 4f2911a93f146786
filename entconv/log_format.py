"""One line per event, for journald and log collectors: a multi-line message or traceback
would be split into unrelated events, and a line without the convention it is about cannot
be searched for it."""

import logging
from datetime import UTC, datetime


def _one_line(text):
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


class OneLineFormatter(logging.Formatter):
    """`time level logger message [reference=…] [exception=…]`, the time in UTC.

    The reference comes from `extra={"reference": …}` or `extra={"convention": …}`.
    """

    def format(self, record):
        at = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        parts = [
            at.replace("+00:00", "Z"),
            record.levelname,
            record.name,
            _one_line(record.getMessage()),
        ]
        reference = getattr(record, "reference", None)
        if reference is None and getattr(record, "convention", None) is not None:
            reference = record.convention.reference
        if reference:
            parts.append(f"reference={reference}")
        if record.exc_info:
            record.exc_text = record.exc_text or self.formatException(record.exc_info)
        if record.exc_text:
            parts.append(f"exception={_one_line(record.exc_text)}")
        if record.stack_info:
            parts.append(f"stack={_one_line(self.formatStack(record.stack_info))}")
        return " ".join(parts)
