"""Log lines for operators' log pipelines: `--log-format json` (or NEWSHUB_LOG_FORMAT=json).

One JSON object per line (python-json-logger), with `source` and `run_id` on every line of a
crawl and on the daemon's lines about one source; the human format stays Scrapy's default.
"""

from __future__ import annotations

import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter

LOG_FORMATS = ("human", "json")
FIELDS = "{asctime}{levelname}{name}{message}"


def json_formatter(**fields: Any) -> logging.Formatter:
    """A formatter writing FIELDS plus `fields` (and any `extra=`) as one JSON object a line."""
    defaults = {"source": None, "run_id": None}
    return JsonFormatter(FIELDS, style="{", static_fields=fields, defaults=defaults)


def use_json_logs(**fields: Any) -> None:
    """Switch every handler of the root logger to JSON lines (the daemon's basicConfig)."""
    for handler in logging.root.handlers:
        handler.setFormatter(json_formatter(**fields))


def json_log_handler(log_file: str | None, level: str, **fields: Any) -> logging.Handler:
    """A root handler writing JSON lines to log_file (or stderr), in place of Scrapy's own.

    Scrapy re-installs its root handler whenever a crawler applies its settings; a crawl in
    JSON starts Scrapy without one (LOG_INSTALL_ROOT_HANDLER off) and adds this instead.
    """
    handler: logging.Handler
    if log_file:
        handler = logging.FileHandler(log_file, mode="a", encoding="utf-8")  # one file a run
    else:
        handler = logging.StreamHandler()
    handler.setFormatter(json_formatter(**fields))
    handler.setLevel(level)
    logging.root.setLevel(logging.NOTSET)  # as Scrapy does for its own: the handler filters
    logging.root.addHandler(handler)
    return handler


def remove_log_handler(handler: logging.Handler | None) -> None:
    """Take a handler json_log_handler added off the root logger again (None: nothing to do)."""
    if handler is not None:
        logging.root.removeHandler(handler)
        handler.close()
