"""Log lines for operators: with the request id, and never with SQL, parameters or API keys.

SQLAlchemy puts the statement and its parameters into its exception messages; those (and anything
shaped like an API key) are cut from every line, tracebacks included, before it is written.
"""

from __future__ import annotations

import logging
import re
import sys

from app.core.request_id import current_request_id

__all__ = ["RedactingFormatter", "configure_logging", "redact"]

# SQLAlchemy appends "[SQL: …]" (possibly many lines, possibly holding "]"), then maybe
# "[parameters: …]" or "[SQL parameters hidden …]", then "(Background on this error …)".
_SQL = re.compile(r"\[(SQL|parameters): .*?(?=\n\[(?:SQL|parameters)|\n\(Background|\Z)", re.DOTALL)
# PostgreSQL's DETAIL line quotes row values ("Failing row contains (…)").
_DETAIL = re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE)
_KEY = re.compile(r"sk_[A-Za-z0-9_-]{8,}")


def redact(text: str) -> str:
    text = _SQL.sub(r"[\1 redacted]", text)
    text = _DETAIL.sub(r"\1 [redacted]", text)
    return _KEY.sub("sk_[redacted]", text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.request_id = current_request_id() or "-"
        return redact(super().format(record))


def configure_logging(level: int = logging.INFO) -> None:
    """Send the `app` loggers to stderr through the redacting formatter (once per process)."""
    logger = logging.getLogger("app")
    if any(isinstance(h.formatter, RedactingFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
