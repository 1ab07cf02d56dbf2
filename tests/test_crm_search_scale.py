"""Search and filters over 2,000 generated leads return exactly the matching set."""

from __future__ import annotations

import asyncio
import random

import pytest

from conftest import start_gateway

pytestmark = pytest.mark.integration

TOTAL = 2000
FIRST = ["Priya", "Omar", "Lena", "Kofi", "Mina", "Tariq", "Ines", "Yuki"]
LAST = ["Shah", "Haddad", "Novak", "Mensah", "Park", "Aziz", "Costa", "Sato"]
SOURCES = ["manual", "website", "referral", "campaign", "import", "api", "mcp", "other"]
STATUSES = ["new", "working", "qualified"]
TIERS = ["gold", "silver", "bronze"]


def generated() -> list[dict]:
    rng = random.Random(2026)
    return [{"name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}", "source": rng.choice(SOURCES),
             "status": rng.choice(STATUSES), "custom_fields": {"tier": rng.choice(TIERS)}} for i in range(TOTAL)]


async def list_all(http, url, headers) -> list[dict]:
    found, cursor = [], None
    while True:
        async with http.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers) as resp:
            page = await resp.json()
        assert resp.status == 200, page
        found += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            return found


async def test_filters_and_search_on_2000_leads(stack_settings, crm_service, workspace, http):
    _, key = workspace
    headers = {"Authorization": f"Bearer {key}"}
    leads = generated()
    settings = stack_settings.gateway.model_copy(update={"rate_limit_enabled": False})
    async with start_gateway(settings) as gw:
        sem = asyncio.Semaphore(32)

        async def create(lead):
            async with sem, http.post(f"{gw.url}/v1/leads", json=lead, headers=headers) as resp:
                assert resp.status in (201, 202)

        await asyncio.gather(*(create(lead) for lead in leads))

        async def all_projected():
            async with http.get(f"{gw.url}/v1/leads?limit=1", headers=headers):
                pass
            return await crm_service.db["leads"].count_documents({}) == TOTAL

        for _ in range(300):
            if await all_projected():
                break
            await asyncio.sleep(0.2)
        cases = {
            "?limit=100&source=referral": lambda d: d["source"] == "referral",
            "?limit=100&status=qualified&source=website": lambda d: d["status"] == "qualified"
            and d["source"] == "website",
            "?limit=100&query=priya": lambda d: d["name"].startswith("Priya "),
            "?limit=100&query=novak%20lena": lambda d: "Novak" in d["name"] and d["name"].startswith("Lena"),
            "?limit=100&custom_field_key=tier&custom_field_value=gold": lambda d: d["custom_fields"]["tier"] == "gold",
            "?limit=100&query=sato&status=new": lambda d: "Sato" in d["name"] and d["status"] == "new",
        }
        for query, match in cases.items():
            got = sorted(d["name"] for d in await list_all(http, f"{gw.url}/v1/leads{query}", headers))
            want = sorted(d["name"] for d in leads if match(d))
            assert got == want, query
