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
    """Switch every handler of the root logger (Scrapy's included) to JSON lines."""
    for handler in logging.root.handlers:
        handler.setFormatter(json_formatter(**fields))
