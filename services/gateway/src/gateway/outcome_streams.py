"""Waiting for writes' outcomes: one streamed long poll per service carries every write gathered meanwhile.

A write's answer waits until its command's outcome is known and the resource is readable. Rather than one
long-poll call per write, the writes that start within `gather_s` of the last call go to the owning service
together (`POST /internal/commands`); the service streams each answer back the moment it lands, so a write
waits at most `gather_s` longer to be asked for (never, when the gateway is not busy) and never for another.
A call that fails (the service restarting) is made again for the writes still waiting, until each one's own
deadline; a write not settled by then answers 202.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger

Doc = dict[str, Any]
Streamer = Callable[[str, list[Doc], str, float], AsyncIterator[Doc]]
log = get_logger("gateway.outcome_streams")

GATHER_S = 0.015
RETRY_PAUSE_S = 0.2
LONGEST_WAIT_S = 30.0  # the most a service waits for one write in a call (junction_common.outcome_answers)
_SLACK_S = 5.0  # beyond the longest wait: a call that still has not ended is given up


@dataclass
class _Wait:
    command_id: str
    collection: str | None
    view: str | None
    deadline: float
    future: asyncio.Future[Doc | None] = field(repr=False)

    def asked(self, now: float) -> Doc:
        return {"command_id": self.command_id, "collection": self.collection, "view": self.view,
                "timeout_s": round(min(max(self.deadline - now, 0.0), LONGEST_WAIT_S), 3)}


class Refused(Exception):
    """The service refused the call itself (a 4xx): asking again would be refused again."""


def _result(answer: Doc) -> Doc | None:
    """The outcome (with `resource` once readable) from a service's answer; None while pending or refused."""
    if "outcome" not in answer or answer.get("status") == "pending":
        return None
    return {**answer["outcome"], **({"resource": answer["resource"]} if "resource" in answer else {})}


class OutcomeStreams:
    """One service's outcome waits of this gateway process, asked for in gathered calls."""

    def __init__(self, service: str, streamer: Streamer, gather_s: float = GATHER_S) -> None:
        self.service, self._streamer, self.gather_s = service, streamer, gather_s
        self._queued: list[_Wait] = []
        self._flush: asyncio.Handle | None = None
        self._last_sent = 0.0
        self._calls: set[asyncio.Task[None]] = set()
        self._failing = False  # logged once when calls start failing, once when they work again

    async def wait(self, command_id: str, collection: str | None, view: str | None, timeout_s: float) -> Doc | None:
        """The command's outcome once its resource is readable, or None when not within `timeout_s`."""
        future: asyncio.Future[Doc | None] = asyncio.get_running_loop().create_future()
        self._enqueue(_Wait(command_id, collection, view, time.monotonic() + max(timeout_s, 0.0), future))
        try:
            return await asyncio.wait_for(future, max(timeout_s, 0.0) + _SLACK_S)
        except TimeoutError:
            return None

    async def close(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
        for call in list(self._calls):
            call.cancel()
        await asyncio.gather(*self._calls, return_exceptions=True)

    def _enqueue(self, wait: _Wait) -> None:
        self._queued.append(wait)
        if self._flush is None:
            loop = asyncio.get_running_loop()
            delay = self._last_sent + self.gather_s - time.monotonic()
            # Not busy: ask at once (after this loop turn, so writes started together go together).
            self._flush = loop.call_soon(self._send) if delay <= 0 else loop.call_later(delay, self._send)

    def _send(self) -> None:
        self._flush = None
        waits = [wait for wait in self._queued if not wait.future.done()]
        self._queued = []
        if not waits:
            return
        self._last_sent = time.monotonic()
        call = asyncio.create_task(self._call(waits))
        self._calls.add(call)
        call.add_done_callback(self._calls.discard)

    async def _call(self, waits: list[_Wait]) -> None:
        now = time.monotonic()
        open_waits: dict[str, list[_Wait]] = {}
        for wait in waits:
            open_waits.setdefault(wait.command_id, []).append(wait)
        longest = max(wait.deadline for wait in waits) - now
        try:
            async for answer in self._streamer(self.service, [wait.asked(now) for wait in waits],
                                               "req_" + new_ulid(), longest + _SLACK_S):
                for wait in open_waits.pop(str(answer.get("command_id")), []):
                    if not wait.future.done():
                        wait.future.set_result(_result(answer))
        except Refused as exc:
            log.warning("outcome_call_refused", service=self.service, error=str(exc))
            for wait in (wait for same in open_waits.values() for wait in same if not wait.future.done()):
                wait.future.set_result(None)
            return
        except Exception as exc:  # unreachable, cut off or garbled: the writes still open are asked again
            if not self._failing:
                log.warning("internal_call_failed", service=self.service, path="/internal/commands",
                            error=type(exc).__name__, unreachable=self.service)
            self._failing = True
            await asyncio.sleep(RETRY_PAUSE_S)
        else:
            if self._failing:
                log.info("internal_call_recovered", service=self.service, path="/internal/commands")
            self._failing = False
        self._settle_unanswered([wait for same in open_waits.values() for wait in same])

    def _settle_unanswered(self, waits: list[_Wait]) -> None:
        """Writes the call did not answer are asked again while their deadline allows, else answered None."""
        now = time.monotonic()
        for wait in waits:
            if wait.future.done():
                continue
            if wait.deadline - now > RETRY_PAUSE_S:
                self._enqueue(wait)
            else:
                wait.future.set_result(None)
