"""Signed cursors: round trip, and anything forged or malformed is a VALIDATION_ERROR."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from junction_common.web.cursors import decode_cursor, encode_cursor
from junction_common.web.envelope import ApiError

SECRET = "test-signing-secret"
POSITION = {"created_at": "2024-05-17T12:00:00+00:00", "id": "con_01hx3v6k2q8n7c4d5e6f7g8h9k"}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def signed(raw: bytes, secret: str = SECRET) -> str:
    return b64(hmac.new(secret.encode(), raw, hashlib.sha256).digest()[:16] + raw)


def assert_invalid(cursor: str, secret: str = SECRET) -> None:
    with pytest.raises(ApiError) as info:
        decode_cursor(cursor, secret)
    assert info.value.code == "VALIDATION_ERROR"
    assert info.value.status == 422
    assert info.value.details == [{"pointer": "/query/cursor", "message": "invalid or tampered cursor"}]


@pytest.mark.parametrize(
    "position",
    [POSITION, {}, {"n": 1, "nested": {"b": [1, 2], "a": None}}, {"s": "ünïcödé ✓"}],
)
def test_round_trip(position: dict[str, object]) -> None:
    assert decode_cursor(encode_cursor(position, SECRET), SECRET) == position


def test_cursor_is_url_safe_and_unpadded() -> None:
    for n in range(6):  # vary the length so every padding case occurs
        cursor = encode_cursor({"id": "x" * n}, SECRET)
        assert "=" not in cursor
        assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_cursor_is_deterministic_and_key_order_independent() -> None:
    assert encode_cursor({"a": 1, "b": 2}, SECRET) == encode_cursor({"b": 2, "a": 1}, SECRET)


def test_tampered_position_is_rejected() -> None:
    blob = unb64(encode_cursor(POSITION, SECRET))
    sig, raw = blob[:16], blob[16:]
    forged = raw.replace(b"con_01", b"con_02")
    assert forged != raw
    assert_invalid(b64(sig + forged))


def test_tampered_signature_is_rejected() -> None:
    blob = bytearray(unb64(encode_cursor(POSITION, SECRET)))
    blob[0] ^= 0x01
    assert_invalid(b64(bytes(blob)))


def test_resigned_with_another_secret_is_rejected() -> None:
    raw = json.dumps({"id": "con_other"}).encode()
    assert_invalid(signed(raw, "attacker-secret"))


def test_wrong_secret_is_rejected() -> None:
    assert_invalid(encode_cursor(POSITION, SECRET), "another-secret")


def test_signature_stripped_is_rejected() -> None:
    assert_invalid(b64(json.dumps(POSITION).encode()))


@pytest.mark.parametrize(
    "garbage", ["", "a", "abc", "not a cursor!", "%%%%", "é", "====", "A" * 200, "null", "{}"]
)
def test_garbage_is_rejected(garbage: str) -> None:
    assert_invalid(garbage)


@pytest.mark.parametrize("raw", [b"[1,2]", b"null", b"42", b'"str"', b"{not json", b"\xff\xfe"])
def test_validly_signed_non_object_is_rejected(raw: bytes) -> None:
    assert_invalid(signed(raw))
