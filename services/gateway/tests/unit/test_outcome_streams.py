"""The gateway gathers outcome waits into calls, answers each as its frame comes, and asks again after a failure."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from gateway.outcome_streams import OutcomeStreams, Refused

Doc = dict[str, Any]


class FakeService:
    """Answers each asked command with a success, except those it was told to fail the first `failures` calls."""

    def __init__(self, failures: int = 0) -> None:
        self.calls: list[list[str]] = []
        self.failures = failures

    async def stream(self, service: str, waits: list[Doc], request_id: str, timeout_s: float) -> AsyncIterator[Doc]:
        self.calls.append([w["command_id"] for w in waits])
        if len(self.calls) <= self.failures:
            raise ConnectionError("service restarting")
        for wait in reversed(waits):  # in whatever order they land
            await asyncio.sleep(0)
            if wait["command_id"].startswith("cmd_never"):
                yield {"command_id": wait["command_id"], "status": "pending"}
            else:
                yield {"command_id": wait["command_id"], "status": "succeeded",
                       "outcome": {"status": "succeeded", "resource_id": wait["command_id"]},
                       "resource": {"id": wait["command_id"]}}


async def test_writes_started_together_are_asked_for_in_one_call_and_each_gets_its_own_answer() -> None:
    service = FakeService()
    streams = OutcomeStreams("crm", service.stream, gather_s=0.05)
    answers = await asyncio.gather(*(streams.wait(f"cmd_{i}", "contacts", None, 2.0) for i in range(5)),
                                   streams.wait("cmd_never", "contacts", None, 2.0))
    asked = [f"cmd_{i}" for i in range(5)] + ["cmd_never"]
    assert len(service.calls) == 1 and sorted(service.calls[0]) == sorted(asked)
    assert [a["resource"]["id"] if a else None for a in answers] == [f"cmd_{i}" for i in range(5)] + [None]


async def test_a_failed_call_is_made_again_for_the_writes_still_waiting() -> None:
    service = FakeService(failures=2)
    streams = OutcomeStreams("crm", service.stream, gather_s=0.0)
    answer = await streams.wait("cmd_1", "contacts", None, 5.0)
    assert answer is not None and answer["resource"] == {"id": "cmd_1"}
    assert service.calls == [["cmd_1"]] * 3


async def test_a_write_whose_deadline_passes_while_the_service_is_down_is_answered_none() -> None:
    service = FakeService(failures=1000)
    streams = OutcomeStreams("crm", service.stream, gather_s=0.0)
    assert await streams.wait("cmd_1", "contacts", None, 0.5) is None
    assert 1 <= len(service.calls) <= 4


async def test_a_refused_call_answers_its_writes_none_at_once_without_asking_again() -> None:
    calls: list[list[Doc]] = []

    async def refusing(service: str, waits: list[Doc], request_id: str, timeout_s: float) -> AsyncIterator[Doc]:
        calls.append(waits)
        raise Refused("422: invalid")
        yield {}  # an async generator, as the real streamer is

    streams = OutcomeStreams("crm", refusing, gather_s=0.0)
    assert await streams.wait("cmd_1", "contacts", None, 60.0) is None
    assert len(calls) == 1 and calls[0][0]["timeout_s"] == 30.0  # never more than a service waits
