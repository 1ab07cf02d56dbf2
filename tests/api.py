"""Small HTTP helpers the cross-service tests share."""

from __future__ import annotations

from typing import Any


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def call(http: Any, method: str, url: str, key: str, body: Any = None,
               headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """Send one request with an API key; returns (status, parsed JSON body)."""
    async with http.request(method, url, json=body, headers={**bearer(key), **(headers or {})}) as resp:
        return resp.status, await resp.json()


async def ids(http: Any, url: str, key: str) -> list[str]:
    status, body = await call(http, "GET", url, key)
    assert status == 200, body
    return sorted(d["id"] for d in body["data"])
