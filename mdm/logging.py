"""Structured logs through stdlib logging, carrying the correlation id of the
ingest (or request) being handled.

```python
configure_logging()                      # MDM_LOG_FORMAT=json for JSON lines
with correlation("api-1234"):
    logging.getLogger("mdm.ingest").info("stored", extra={"stored": 3})
# {"time": "...", "level": "INFO", "logger": "mdm.ingest", "message": "stored",
#  "correlation_id": "api-1234", "stored": 3}
```
The id lives in a contextvar, so it follows a request through `await`s and
into the thread pool, and never leaks between concurrent requests."""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

HUMAN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"
MAX_CORRELATION_ID = 128  # the width of the correlation_id columns
_VALID_ID = re.compile(r"[A-Za-z0-9._:/@+=-]{1,%d}" % MAX_CORRELATION_ID)
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
# Attributes every LogRecord has; anything else came in through `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "correlation_id"}

_current: ContextVar[str | None] = ContextVar("mdm_correlation_id", default=None)


class LogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MDM_", extra="ignore")

    log_format: Literal["human", "json"] = "human"
    log_level: str = "INFO"


def current_correlation_id() -> str | None:
    return _current.get()


def new_correlation_id(prefix: str = "api") -> str:
    return f"{prefix}-{uuid.uuid4()}"


@contextmanager
def correlation(correlation_id: str | None) -> Iterator[str | None]:
    token = _current.set(correlation_id)
    try:
        yield correlation_id
    finally:
        _current.reset(token)


def correlation_id_from_headers(headers: Mapping[str, str]) -> str | None:
    """A caller's id: `X-Correlation-ID` if it is usable as one, else the
    trace-id of a W3C `traceparent`; None when neither is there."""
    given = (headers.get("x-correlation-id") or "").strip()
    if given and _VALID_ID.fullmatch(given):
        return given
    match = _TRACEPARENT.fullmatch((headers.get("traceparent") or "").strip().lower())
    if match and match.group(1) != "0" * 32:
        return match.group(1)
    return None


class CorrelationFilter(logging.Filter):
    """Puts the current correlation id on every record (`-` when there is none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "correlation_id", None):
            record.correlation_id = _current.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, correlation id,
    whatever was passed as `extra=`, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": None if getattr(record, "correlation_id", "-") == "-" else record.correlation_id,
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record is emitted: a handler
    bound to the stream of its first caller breaks once that stream closes."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(settings: LogSettings | None = None, *, stream=None) -> logging.Handler:
    """One handler on the root logger in the configured format; calling it
    again replaces the handler instead of adding another."""
    settings = settings or LogSettings()
    handler = logging.StreamHandler(stream) if stream is not None else _CurrentStderr()
    handler.addFilter(CorrelationFilter())
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else logging.Formatter(HUMAN_FORMAT))
    handler.set_name("mdm")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "mdm"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # Migration chatter is not the operator's business at INFO.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return handler
