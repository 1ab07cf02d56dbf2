"""The end of a fault run: which writes exist, how often, and the verdict "lost nothing, doubled nothing".

A write exists as many times as contacts with its (unique) name are listed by `GET /v1/contacts`, and
as many `contact.created` events with its name as the crm's event store holds. A write that ever got a
2xx must exist exactly once; any other write must exist at most once.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp

from junction_common.mongo import create_client
from junction_common.settings import JunctionSettings
from tests.chaos.writers import Write


@dataclass
class Verdict:
    writes: int
    accepted: int
    lost: list[int]  # accepted, yet not there
    doubled: list[int]  # there more than once (as a contact or as a created event)
    unaccepted_created: int  # never answered 2xx (the client gave up), yet created once: allowed
    rejected: list[int]  # answered a 4xx the client does not retry

    @property
    def ok(self) -> bool:
        return not self.lost and not self.doubled and not self.rejected


def judge(writes: Iterable[Write], contacts: Counter[str], events: Counter[str]) -> Verdict:
    writes = list(writes)
    lost = [w.index for w in writes if w.accepted and (contacts[w.name] == 0 or events[w.name] == 0)]
    doubled = [w.index for w in writes if contacts[w.name] > 1 or events[w.name] > 1]
    return Verdict(
        writes=len(writes),
        accepted=sum(w.accepted for w in writes),
        lost=lost,
        doubled=doubled,
        unaccepted_created=sum(1 for w in writes if not w.accepted and contacts[w.name] == 1),
        rejected=[w.index for w in writes if w.rejected],
    )


async def listed_contacts(url: str, api_key: str, prefix: str) -> list[dict[str, Any]]:
    """Every contact the API lists whose name starts with `prefix` (every page)."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    headers = {"Authorization": f"Bearer {api_key}"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        while True:
            params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
            body = await _get_page(http, f"{url}/v1/contacts", headers, params)
            found.extend(c for c in body["data"] if str(c.get("name", "")).startswith(prefix))
            cursor = body.get("next_cursor")
            if not cursor:
                return found


async def _get_page(http: aiohttp.ClientSession, url: str, headers: dict[str, str],
                    params: dict[str, str]) -> dict[str, Any]:
    for _ in range(60):  # a 429 or a 503 right after a fault is waited out, not judged
        async with http.get(url, headers=headers, params=params) as resp:
            if resp.status == 200:
                body: dict[str, Any] = await resp.json()
                return body
            await asyncio.sleep(float(resp.headers.get("Retry-After", "1")))
    raise AssertionError(f"listing {url} kept failing")


async def created_events(settings: JunctionSettings, prefix: str) -> Counter[str]:
    """How many `contact.created` events the crm's event store holds under each name starting with `prefix`."""
    client = create_client(settings)
    try:
        names: Counter[str] = Counter()
        commits = client[settings.db_name("crm")]["event_commits"]
        async for commit in commits.find({}, {"events": 1}):
            for event in commit["events"]:
                data = event.get("data") or {}
                name = str((data.get("record") or data).get("name", ""))  # v2 carries the record; v1 the body
                if event.get("type") == "contact.created" and name.startswith(prefix):
                    names[name] += 1
        return names
    finally:
        await client.close()


async def settle(writes: list[Write], url: str, api_key: str, settings: JunctionSettings, prefix: str,
                 timeout_s: float = 120.0, grace_s: float = 5.0) -> tuple[Verdict, float]:
    """The verdict once every accepted write is listed (or `timeout_s` passed), and how long that took.

    Once nothing is missing it looks again after `grace_s`: a send the gateway gave up on may land late,
    and must not create a second contact when it does.
    """
    started = time.monotonic()
    while True:
        verdict = await look(writes, url, api_key, settings, prefix)
        settled_s = time.monotonic() - started
        if not verdict.lost or settled_s > timeout_s:
            break
        await asyncio.sleep(2.0)
    if verdict.lost:
        return verdict, settled_s
    await asyncio.sleep(grace_s)
    return await look(writes, url, api_key, settings, prefix), settled_s


async def look(writes: list[Write], url: str, api_key: str, settings: JunctionSettings, prefix: str) -> Verdict:
    contacts = Counter(str(c["name"]) for c in await listed_contacts(url, api_key, prefix))
    return judge(writes, contacts, await created_events(settings, prefix))
