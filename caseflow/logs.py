"""Log lines as JSON, one object a line (``CASEFLOW_LOG_FORMAT=json``, the default in production),
and the one line each request writes: its id (the same as in the ``X-Request-Id`` header and in
every problem+json answer), method, route pattern (never the path's values), status, time and the
user's id. No child data: the route is the pattern (``/cases/<id:case_id>``), never the URL, and no
query string, form or body is logged."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

REQUEST_LOG = logging.getLogger("caseflow.request")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        line.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = getattr(record, "fields", None)
        return text + ("" if not fields else " " + " ".join(f"{k}={v}" for k, v in fields.items()))


def configure(fmt: str) -> None:
    """One handler on the root logger, in the chosen format (a second call replaces it)."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "caseflow", False):
            root.removeHandler(h)
    handler = logging.StreamHandler()
    handler.caseflow = True
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def request_line(fields: dict) -> None:
    REQUEST_LOG.info("request", extra={"fields": fields})
