"""structlog setup: JSON when not on a terminal, context (request, workspace, trace) from contextvars."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

from junction_common.outage_logs import install as install_collapsing
from junction_common.outage_logs import structlog_collapser
from junction_common.outage_probes import configure_process_tracker

_SECRET_KEYS = re.compile(r"(secret|password|token|api_key|authorization|credential)", re.I)


def _redact(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Secrets never reach a log line, whatever a caller passes."""
    for key in list(event_dict):
        if _SECRET_KEYS.search(key):
            event_dict[key] = "[redacted]"
    return event_dict


def configure_logging(
    level: str = "INFO", json_output: bool | None = None, service: str = "", outage_interval_s: float = 10.0
) -> None:
    """Configure structlog and the stdlib root logger once per process.

    Kafka's and the database's connection errors are collapsed while they are away: one
    `dependency_unreachable` warning per dependency every `outage_interval_s`, one `dependency_recovered`.
    """
    as_json = (not sys.stderr.isatty()) if json_output is None else json_output
    tracker = configure_process_tracker(outage_interval_s, service)
    processors: list[Any] = [
        structlog_collapser(tracker),
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(stream=sys.stderr, level=level.upper(), format="%(levelname)s %(name)s %(message)s")
    for noisy in ("aiokafka", "kafka", "pymongo"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    install_collapsing(tracker)
    if service:
        structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str = "junction") -> Any:
    return structlog.get_logger(name)
