"""Answers to the outcome long poll of writes: one command's, or many commands' streamed as each lands.

A write's answer waits for its command's outcome and, for a success, until the resource is readable at the
committed version. The gateway gathers the writes it is waiting on and asks for them in one call; the service
sends each answer as one frame (junction_common.web.frames) the moment it is settled, and a `pending` answer
for each one still open when its own timeout ends, so one slow command holds up no other.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable

from pydantic import BaseModel, Field
from pymongo.asynchronous.database import AsyncDatabase

from junction_common.mongo import Doc
from junction_common.store.outcome_waits import OutcomePoller
from junction_common.store.outcomes import SUCCEEDED
from junction_common.web.frames import frame
from junction_common.web.listing import present

MAX_WAIT_S = 30.0
MAX_WAITS = 2_000  # per call; the gateway sends far fewer (those gathered in a few milliseconds)
_COLLECTION = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

Presenter = Callable[[Doc], Doc]


def present_with_id(doc: Doc) -> Doc:
    """The default: the read model's document without its internal fields, with the resource's `id`."""
    return {"id": doc["_id"], **present(doc)}


class OutcomeWait(BaseModel):
    """One write waited on: its command, where its resource is read (and in which view), for how long."""

    command_id: str = Field(min_length=1)
    collection: str | None = None
    view: str | None = None
    timeout_s: float = Field(default=8.0, ge=0, le=MAX_WAIT_S)

    @property
    def presenter(self) -> str | None:
        return self.collection if self.view is None or self.collection is None else f"{self.collection}:{self.view}"

    def refusal(self, presenters: dict[str, Presenter]) -> str | None:
        """Why this wait cannot be answered (an invalid collection, an unknown view), else None."""
        if self.collection is not None and not _COLLECTION.match(self.collection):
            return "invalid collection"
        if self.view is not None and self.presenter not in presenters:
            return "unknown view"
        return None


class OutcomeWaits(BaseModel):
    """The writes one call waits on."""

    waits: list[OutcomeWait] = Field(max_length=MAX_WAITS)


def shown(presenters: dict[str, Presenter], answer: Doc, presenter: str | None) -> Doc:
    """The answer with its resource as the API returns it (the read model's internals stay here)."""
    if "resource" in answer and presenter is not None:
        answer = {**answer, "resource": presenters.get(presenter, present_with_id)(answer["resource"])}
    return answer


async def settled(db: AsyncDatabase[Doc], waits: OutcomePoller, presenters: dict[str, Presenter],
                  wait: OutcomeWait) -> Doc:
    """The command's outcome (and resource once readable), or `pending` after the wait's timeout."""
    if (refused := wait.refusal(presenters)) is not None:
        return {"error": refused}
    deadline = time.monotonic() + wait.timeout_s
    outcome = await waits.outcome(db.name, wait.command_id, wait.timeout_s)
    if outcome is None:
        return {"status": "pending"}
    if outcome["status"] != SUCCEEDED or wait.collection is None:
        return {"status": outcome["status"], "outcome": outcome}
    doc = await waits.readable(db.name, wait.collection, outcome["resource_id"], outcome["version"],
                               deadline - time.monotonic())
    if doc is None:
        return {"status": "pending", "outcome": outcome}
    return shown(presenters, {"status": outcome["status"], "outcome": outcome, "resource": doc}, wait.presenter)


async def stream_answers(db: AsyncDatabase[Doc], waits: OutcomePoller, presenters: dict[str, Presenter],
                         asked: list[OutcomeWait]) -> AsyncIterator[bytes]:
    """Each wait's answer (`command_id` added) as soon as it is settled; those settled together in one chunk."""
    tasks = {asyncio.create_task(settled(db, waits, presenters, wait)): wait.command_id for wait in asked}
    pending: set[asyncio.Task[Doc]] = set(tasks)
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            yield b"".join(frame({"command_id": tasks[task], **task.result()}) for task in done)
    finally:
        for task in pending:  # the caller went away: stop waiting for it
            task.cancel()
