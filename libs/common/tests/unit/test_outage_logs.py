"""Connection errors during an outage become one warning per interval, and one line when it is back."""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, UnknownTopicOrPartitionError
from pymongo.errors import AutoReconnect, DuplicateKeyError, ServerSelectionTimeoutError

from junction_common.outage_logs import (
    LIBRARY_LOGGERS,
    exception_dependency,
    install,
    record_dependency,
    structlog_collapser,
)
from junction_common.outage_probes import kafka_answers
from junction_common.outages import KAFKA, MONGODB, OutageTracker

Line = tuple[str, dict[str, Any]]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tracker(lines: list[Line], clock: Clock, interval_s: float = 10.0) -> OutageTracker:
    t = OutageTracker(lambda event, fields: lines.append((event, fields)), interval_s=interval_s, settle_s=2.0,
                      clock=clock, wall=lambda: 1_700_000_000.0)
    t._ensure_ticker = lambda: None  # type: ignore[method-assign]  # the test ticks by hand
    return t


def record(name: str, message: str, level: int = logging.ERROR, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, None) if exc is not None else None
    return logging.LogRecord(name, level, __file__, 1, message, None, exc_info)


def test_the_first_error_is_written_then_one_report_per_interval_with_the_count() -> None:
    lines: list[Line] = []
    clock = Clock()
    t = tracker(lines, clock)
    t.set_probe(KAFKA, lambda: False)
    t.failure(KAFKA, "Unable connect to node with id 1: [Errno 111] Connection refused")
    assert lines == [("dependency_unreachable", {
        "dependency": KAFKA, "suppressed": 0, "since": "2023-11-14T22:13:20.000Z",
        "error": "Unable connect to node with id 1: [Errno 111] Connection refused"})]
    for _ in range(411):
        clock.now += 0.02
        t.failure(KAFKA, "Failed fetch messages from 1: NodeNotReadyError")
        t.tick()
    assert len(lines) == 1  # 8.2 s in: nothing more yet
    clock.now = 1010.0
    t.failure(KAFKA, "Failed fetch messages from 1: NodeNotReadyError")
    t.tick()
    event, fields = lines[1]
    assert event == "dependency_unreachable"
    assert fields["suppressed"] == 412 and fields["down_s"] == 10.0
    assert fields["last_error"] == "Failed fetch messages from 1: NodeNotReadyError"
    clock.now = 1015.0
    t.tick()
    assert len(lines) == 2
    clock.now = 1020.0
    t.tick()
    assert lines[2][0] == "dependency_unreachable" and lines[2][1]["suppressed"] == 0  # quiet, yet still down


def test_back_when_it_answers_and_no_error_came_for_the_settle_time() -> None:
    lines: list[Line] = []
    clock = Clock()
    t = tracker(lines, clock)
    answers = {"now": False}
    t.set_probe(KAFKA, lambda: answers["now"])
    t.failure(KAFKA, "Unable connect")
    clock.now += 30
    t.failure(KAFKA, "Unable connect")
    answers["now"] = True
    clock.now += 0.5
    t.tick()  # answers, but an error came 0.5 s ago (a restarting broker's groups still settle)
    assert not any(event == "dependency_recovered" for event, _ in lines)
    clock.now += 0.5
    t.failure(KAFKA, "Heartbeat failed: CoordinatorNotAvailable")
    clock.now += 1.0
    t.tick()
    assert t.is_down(KAFKA)
    clock.now += 2.0
    t.tick()
    recovered = [fields for event, fields in lines if event == "dependency_recovered"]
    # The report due at 1010 came out at the first tick (1030.5, with the one error before it).
    assert [fields["suppressed"] for event, fields in lines if event == "dependency_unreachable"] == [0, 1]
    assert recovered == [{"dependency": KAFKA, "outage_s": 32.0, "since": "2023-11-14T22:13:20.000Z",
                          "suppressed": 1, "suppressed_total": 2, "evidence": "probe"}]
    assert not t.is_down(KAFKA)
    t.failure(KAFKA, "Unable connect")  # a new outage starts with a line of its own
    assert lines[-1][0] == "dependency_unreachable" and lines[-1][1]["suppressed"] == 0


def test_a_dependency_without_a_probe_is_back_after_a_quiet_interval_or_a_successful_call() -> None:
    lines: list[Line] = []
    clock = Clock()
    t = tracker(lines, clock)
    t.failure(MONGODB, "ServerSelectionTimeoutError")
    clock.now += 4
    t.failure(MONGODB, "AutoReconnect")
    clock.now += 10
    t.tick()
    clock.now += 2
    t.tick()
    assert lines[-1] == ("dependency_recovered", {
        "dependency": MONGODB, "outage_s": 4.0, "since": "2023-11-14T22:13:20.000Z", "suppressed": 1,
        "suppressed_total": 1, "evidence": "quiet"})
    t.failure(MONGODB, "AutoReconnect")
    clock.now += 1
    t.reachable(MONGODB)
    clock.now += 1.5
    t.tick()
    assert lines[-1][0] == "dependency_recovered" and lines[-1][1]["evidence"] == "call"


def test_reports_come_out_while_the_errors_have_stopped() -> None:
    lines: list[Line] = []
    done = threading.Event()

    def emit(event: str, fields: dict[str, Any]) -> None:
        lines.append((event, fields))
        if event == "dependency_recovered":
            done.set()

    t = OutageTracker(emit, interval_s=0.2, settle_s=0.1, tick_s=0.02)
    answers = {"now": False}
    t.set_probe(KAFKA, lambda: answers["now"])
    t.failure(KAFKA, "Unable connect")
    time.sleep(0.5)
    answers["now"] = True
    assert done.wait(5)
    events = [event for event, _ in lines]
    assert events[0] == "dependency_unreachable" and events[-1] == "dependency_recovered"
    assert 2 <= events.count("dependency_unreachable") <= 5


@pytest.mark.parametrize(("name", "message", "level", "exc", "expected"), [
    ("aiokafka", "Unable connect to node with id 1: [Errno 111] Connection refused", logging.ERROR, None, KAFKA),
    ("aiokafka.consumer.fetcher", "Failed fetch messages from 1: [Error 7] RequestTimedOutError", logging.ERROR,
     None, KAFKA),
    ("aiokafka.producer.sender", "Got error produce response: KafkaConnectionError: Connection at 127.0.0.1:9092 "
     "closed", logging.WARNING, None, KAFKA),
    ("aiokafka.consumer.group_coordinator", "Unexpected error in coordinator routine", logging.ERROR,
     KafkaConnectionError("Connection at 127.0.0.1:9092 closed"), KAFKA),
    ("aiokafka.client", "Unable connect to node with id 1: [Errno 111] Connection refused", logging.INFO, None,
     None),
    ("aiokafka.cluster", "Topic orders not found in cluster metadata", logging.ERROR, None, None),
    ("aiokafka.consumer.fetcher", "Failed fetch offsets from 1: [Error 6] NotLeaderForPartitionError", logging.ERROR,
     None, None),  # a topic just created: its leader is being elected, the broker answers
    ("aiokafka", "Unable to update metadata from [1]", logging.ERROR, None, KAFKA),
    ("pymongo.topology", "server selection failed", logging.WARNING, ServerSelectionTimeoutError("x"), MONGODB),
    ("junction_common.web.errors", "Unable connect to node with id 1", logging.ERROR, None, None),
])
def test_which_library_records_are_connection_errors(name: str, message: str, level: int,
                                                     exc: BaseException | None, expected: str | None) -> None:
    assert record_dependency(record(name, message, level, exc)) == expected


def test_a_connection_error_is_found_in_what_an_exception_was_raised_from() -> None:
    try:
        try:
            raise AutoReconnect("connection is already closed")
        except AutoReconnect as inner:
            raise RuntimeError("append failed") from inner
    except RuntimeError as outer:
        assert exception_dependency(outer) == MONGODB
    assert exception_dependency(KafkaTimeoutError()) == KAFKA
    assert exception_dependency(UnknownTopicOrPartitionError()) is None  # not an outage: a missing topic
    assert exception_dependency(DuplicateKeyError("dup")) is None


@pytest.fixture
def library_loggers() -> Iterator[list[logging.LogRecord]]:
    """Records that reach the root logger's handlers; the libraries' loggers restored afterwards."""
    passed: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            passed.append(record)

    keep = Keep()
    root = logging.getLogger()
    root.addHandler(keep)
    saved = {name: (logging.getLogger(name).propagate, list(logging.getLogger(name).handlers))
             for name in LIBRARY_LOGGERS}
    try:
        yield passed
    finally:
        root.removeHandler(keep)
        for name, (propagate, handlers) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.propagate = propagate


def test_a_flood_of_library_errors_reaches_the_log_as_one_line(library_loggers: list[logging.LogRecord]) -> None:
    lines: list[Line] = []
    t = tracker(lines, Clock())
    install(t)
    install(t)  # configuring twice keeps one handler
    fetcher = logging.getLogger("aiokafka.consumer.fetcher")
    for n in range(5000):
        fetcher.error("Failed fetch messages from %s: %s", 1, "[Errno 111] Connection refused")
        logging.getLogger("aiokafka.client").error("Unable connect to node with id %s: %s", 1, n)
    # While Kafka is down, its client's other complaints are the outage's too.
    logging.getLogger("aiokafka.consumer.group_coordinator").error("Marking the coordinator dead (node 1)")
    assert [r.name for r in library_loggers if r.name.startswith("aiokafka")] == []
    assert [event for event, _ in lines] == ["dependency_unreachable"]
    t._outages[KAFKA].last_report -= 10
    t.tick()
    assert lines[-1][1]["suppressed"] == 10_000
    t.reachable(KAFKA)
    t._outages[KAFKA].last_failure -= 10
    t.tick()
    assert lines[-1][0] == "dependency_recovered"
    logging.getLogger("aiokafka.cluster").error("Topic %s not found in cluster metadata", "orders")
    logging.getLogger("aiokafka.consumer.group_coordinator").error("Marking the coordinator dead (node 1)")
    assert [r.getMessage() for r in library_loggers if r.name.startswith("aiokafka")] == [
        "Topic orders not found in cluster metadata", "Marking the coordinator dead (node 1)"]


def test_our_own_events_about_connection_errors_are_counted_not_written() -> None:
    lines: list[Line] = []
    t = tracker(lines, Clock())
    collapse = structlog_collapser(t)
    with pytest.raises(structlog.DropEvent):
        collapse(None, "error", {"event": "outbox_relay_failed", "exc_info": ServerSelectionTimeoutError("x")})
    try:
        raise KafkaTimeoutError()
    except KafkaTimeoutError:
        with pytest.raises(structlog.DropEvent):
            collapse(None, "exception", {"event": "unhandled_error", "exc_info": True})
    with pytest.raises(structlog.DropEvent):
        collapse(None, "warning", {"event": "message_retry_scheduled", "error": "AutoReconnect: closed"})
    with pytest.raises(structlog.DropEvent):
        collapse(None, "warning", {"event": "command_not_published", "error": "KafkaTimeoutError"})
    with pytest.raises(structlog.DropEvent):  # asyncio's TimeoutError names no dependency: the event does
        collapse(None, "warning", {"event": "command_not_published", "error": "TimeoutError", "unreachable": KAFKA})
    kept = [
        {"event": "message_dead_lettered", "error": "AutoReconnect: closed"},  # an ERROR without exc_info: kept
        {"event": "outbox_relay_failed", "exc_info": ValueError("bad event")},
        {"event": "contact_created", "contact_id": "con_1"},
        {"event": "command_not_published", "error": "TimeoutError"},
    ]
    for event_dict in kept:
        assert collapse(None, "error", dict(event_dict)) == event_dict
    assert [(event, fields["dependency"]) for event, fields in lines] == [
        ("dependency_unreachable", MONGODB), ("dependency_unreachable", KAFKA)]
    assert lines[0][1]["error"] == "outbox_relay_failed: ServerSelectionTimeoutError: x"
    assert t._outages[MONGODB].total == 1 and t._outages[KAFKA].total == 2  # the first ones were written


def _one_shot_server(answer: bytes | None) -> tuple[int, threading.Thread]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def serve() -> None:
        conn, _ = server.accept()
        with conn, server:
            conn.recv(1024)
            if answer is not None:
                conn.sendall(answer)
            else:
                time.sleep(1.5)  # accepts, never answers: a broker still recovering its logs

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return port, thread


def test_kafka_counts_as_back_only_when_it_answers_a_request() -> None:
    port, thread = _one_shot_server(struct.pack(">ii", 6, 1) + b"\x00\x00")
    assert kafka_answers("127.0.0.1", port)
    thread.join()
    port, thread = _one_shot_server(None)
    assert not kafka_answers("127.0.0.1", port, timeout=0.5)
    thread.join()
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    assert not kafka_answers("127.0.0.1", closed_port)
