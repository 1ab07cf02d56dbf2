"""Which of the caller's headers travel to the provider: an allow-list, never one the credential or a connection
value sets, never the HTTP client's own or hop-by-hop ones."""

from __future__ import annotations

import re
from collections.abc import Mapping

from connections.catalogue.manifest import HEADER_NAME, RESERVED_HEADERS
from connections.requests.model import RequestRefused

# What a caller may set for any provider: content negotiation, conditional and range requests, idempotency.
ALLOWED_HEADERS = frozenset({
    "accept", "accept-language", "content-type", "content-language", "content-encoding", "if-match",
    "if-none-match", "if-modified-since", "if-unmodified-since", "if-range", "range", "idempotency-key", "prefer",
    "cache-control", "x-request-id",
})


def caller_headers(headers: Mapping[str, str], overridable: frozenset[str],
                   protected: frozenset[str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """The caller's headers kept (allow-listed, or a manifest constant it may override such as an API version) and
    the names dropped. A kept header's value spanning lines is refused."""
    kept: dict[str, str] = {}
    dropped: list[str] = []
    for name, value in headers.items():
        low = name.lower()
        if (not re.fullmatch(HEADER_NAME, name) or low in RESERVED_HEADERS or low in protected
                or low not in ALLOWED_HEADERS | overridable):
            dropped.append(name)
            continue
        if any(c in str(value) for c in "\r\n\0"):
            raise RequestRefused("bad_header", f"the {name} header spans lines")
        merge(kept, {name: str(value)})
    return kept, tuple(dropped)


def merge(target: dict[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """Set `extra`'s headers on `target`, replacing any of the same name in another case."""
    for name, value in extra.items():
        for existing in [n for n in target if n.lower() == name.lower()]:
            del target[existing]
        target[name] = value
    return target
