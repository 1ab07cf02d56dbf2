"""Length-prefixed JSON frames: how a streamed internal answer (the outcome long poll of many writes) is sent.

Each frame is the JSON's length in decimal, a newline, then the JSON: a reader never needs a line-length limit,
however large a document is.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Protocol


def frame(body: dict[str, Any]) -> bytes:
    """One answer on the wire: its JSON's length, a newline, the JSON."""
    raw = json.dumps(body, separators=(",", ":"), default=str).encode()
    return b"%d\n%s" % (len(raw), raw)


class FrameReader(Protocol):
    async def readline(self) -> bytes: ...

    async def readexactly(self, n: int) -> bytes: ...


async def read_frames(reader: FrameReader) -> AsyncIterator[dict[str, Any]]:
    """The answers of a streamed body (outcome_answers.stream_answers), in the order sent, until it ends."""
    while True:
        header = await reader.readline()
        if not header:
            return
        body: dict[str, Any] = json.loads(await reader.readexactly(int(header)))
        yield body
