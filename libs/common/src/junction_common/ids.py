"""Prefixed, time-ordered identifiers (ULID layout: 48-bit ms time + 80 random bits)."""

from __future__ import annotations

import base64
import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
# base64's RFC 4648 base32 (in C), its alphabet mapped onto Crockford's: 4.1 us per id instead of 5.9 with a Python
# loop (an execution's events and a sync's records make many ids).
_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())


def new_ulid(now_ms: int | None = None, rand: int | None = None) -> str:
    """A 26-character id that sorts by creation time: 10 characters of ms time, 16 of 80 random bits."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    bits = (ms << 80) | (int.from_bytes(os.urandom(10), "big") if rand is None else rand)  # 130 bits, 26 chars
    return base64.b32encode((bits << 30).to_bytes(20, "big")).translate(_CROCKFORD)[:26].decode()


def new_id(prefix: str) -> str:
    """An id such as `con_01hx...` whose prefix names the resource kind."""
    return f"{prefix}_{new_ulid()}"
