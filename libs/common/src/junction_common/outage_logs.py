"""Which log lines are Kafka or database connection errors, and the process's outage tracker wired in.

aiokafka and pymongo log through stdlib logging: their loggers stop propagating and hand each record to a
handler that gives connection errors to the tracker and passes every other record on to the root handlers.
Our own code logs through structlog: a processor counts and drops an event whose exception is a connection
error of either library (or, below ERROR, whose `error` field names one: a message scheduled for retry, or
that says so itself with `unreachable="kafka"` / `unreachable="mongodb"`: a publish given up on).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    NoBrokersAvailable,
    NodeNotReadyError,
    RequestTimedOutError,
)
from pymongo.errors import ConnectionFailure

from junction_common.outages import KAFKA, MONGODB, OutageTracker

LIBRARY_LOGGERS = {"aiokafka": KAFKA, "kafka": KAFKA, "pymongo": MONGODB}
_KAFKA_ERRORS = (KafkaConnectionError, KafkaTimeoutError, NoBrokersAvailable, NodeNotReadyError,
                 RequestTimedOutError)
_ERROR_NAMES = {cls.__name__: KAFKA for cls in _KAFKA_ERRORS} | {
    name: MONGODB for name in ("ConnectionFailure", "AutoReconnect", "NetworkTimeout", "NotPrimaryError",
                               "ServerSelectionTimeoutError", "WaitQueueTimeoutError")}
# What aiokafka and pymongo say when the other end is away (aiokafka logs most of these without exc_info).
# Only these start an outage: a leader moving or a group rebalancing while the broker answers is no outage.
_CONNECTION_TEXT = re.compile(
    r"unable connect|unable to (update|request) metadata|connection ?(refused|error|at .* closed|reset)"
    r"|errno|timed? ?out|node ?not ?ready|no ?brokers|reset by peer|broken pipe|unreachable",
    re.I,
)
_QUIET_METHODS = {"debug", "info", "warning", "warn"}


def exception_dependency(exc: BaseException | None) -> str | None:
    """KAFKA or MONGODB when `exc`, or an exception it was raised from, says that dependency is unreachable."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ConnectionFailure):
            return MONGODB
        if isinstance(exc, _KAFKA_ERRORS):
            return KAFKA
        exc = exc.__cause__ or exc.__context__
    return None


def library_dependency(record: logging.LogRecord) -> str | None:
    """The dependency whose client library wrote this WARNING-or-worse record, else None."""
    library = LIBRARY_LOGGERS.get(record.name.split(".", 1)[0])
    return library if library is not None and record.levelno >= logging.WARNING else None


def record_dependency(record: logging.LogRecord) -> str | None:
    """The dependency a library's WARNING-or-worse record is a connection error of, else None."""
    library = library_dependency(record)
    if library is None:
        return None
    if record.exc_info and record.exc_info[1] is not None:
        found = exception_dependency(record.exc_info[1])
        if found is not None:
            return found
    return library if _CONNECTION_TEXT.search(record.getMessage()) else None


class CollapsingHandler(logging.Handler):
    """Gives a library's connection errors to the tracker; hands every other record to the root handlers.

    While its dependency is down, every warning or error of that library is counted: a broker away makes
    its client complain about coordinators, leaders and commits as well, and the outage explains them all.
    """

    def __init__(self, tracker: OutageTracker) -> None:
        super().__init__()
        self.tracker = tracker

    def emit(self, record: logging.LogRecord) -> None:
        library = library_dependency(record)
        dependency = record_dependency(record) or (library if library and self.tracker.is_down(library) else None)
        if dependency is None:
            logging.getLogger().handle(record)
            return
        self.tracker.failure(dependency, _first_line(f"{record.name}: {record.getMessage()}"))


def structlog_collapser(tracker: OutageTracker) -> Any:
    """A structlog processor (before format_exc_info) that counts and drops connection-error events."""

    def collapse(_: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        exc = _exception_of(event_dict.get("exc_info"))
        dependency = exception_dependency(exc)
        detail = f"{type(exc).__name__}: {exc}" if exc is not None else ""
        if dependency is None and method in _QUIET_METHODS:
            error = str(event_dict.get("error") or "")
            dependency, detail = _ERROR_NAMES.get(error.split(":", 1)[0].strip()), error
            if dependency is None and event_dict.get("unreachable") in (KAFKA, MONGODB):
                dependency = str(event_dict["unreachable"])
        if dependency is None:
            return event_dict
        tracker.failure(dependency, _first_line(f"{event_dict.get('event')}: {detail}"))
        raise structlog.DropEvent

    return collapse


def install(tracker: OutageTracker) -> None:
    """Route aiokafka's and pymongo's records through one CollapsingHandler (idempotent)."""
    handler = CollapsingHandler(tracker)
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, CollapsingHandler)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.propagate = False


def _exception_of(exc_info: Any) -> BaseException | None:
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        return exc_info[1] if isinstance(exc_info[1], BaseException) else None
    if exc_info is True:
        return sys.exc_info()[1]
    return None


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else text
    return line[:limit]
