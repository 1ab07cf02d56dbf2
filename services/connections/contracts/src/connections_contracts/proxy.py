"""connect-api.txt, Proxy API Call (`POST /connect/v1/proxy/:providerType`): the body the edge validates.

The call is relative to the provider's API (`path` from its base URL, with an optional query string); the
connections service injects the workspace's credential, so the body never carries one (an `Authorization` header
given here is dropped, as is any header outside the proxy's allow-list).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

AUDIT_COLLECTION = "proxy_calls"  # one row per proxied call: method, path, status, latency; never a secret or body
Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class ProxyBody(BaseModel):
    """`method`, `path` (from the provider's base URL, e.g. `/contacts?limit=10`), optional `body` (JSON, or a
    string sent as is), optional `headers` (only allow-listed ones travel), optional `query`, optional
    `connectionId`."""

    model_config = ConfigDict(extra="forbid")

    method: Method
    path: str = Field(min_length=1, max_length=2048)
    body: Any = None
    headers: dict[str, str] | None = Field(default=None, max_length=50)
    query: dict[str, str | list[str]] | None = Field(default=None, max_length=100)
    # Junction's own: which of the workspace's connections of the provider to call with (a variant, say); by
    # default its latest live one.
    connectionId: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value
