"""Idempotency fingerprints and validation-error JSON pointers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.idempotency import fingerprint
from junction_common.web.errors import json_pointer

BODY = {"name": "Ada", "email": "ada@example.com", "custom_fields": {"tier": "gold", "seats": 3}}


def test_fingerprint_is_deterministic_hex_sha256() -> None:
    fp = fingerprint("POST", "/v1/contacts", BODY)
    assert fp == fingerprint("POST", "/v1/contacts", BODY)
    assert len(fp) == 64
    assert int(fp, 16) >= 0


def test_key_order_does_not_matter() -> None:
    reordered = {"custom_fields": {"seats": 3, "tier": "gold"}, "email": "ada@example.com", "name": "Ada"}
    assert fingerprint("POST", "/v1/contacts", reordered) == fingerprint("POST", "/v1/contacts", BODY)


@pytest.mark.parametrize(
    "body",
    [
        {**BODY, "name": "Bob"},
        {**BODY, "custom_fields": {"tier": "gold", "seats": 4}},
        {**BODY, "custom_fields": {"tier": "gold", "seats": "3"}},
        {**BODY, "phone": None},
        {k: v for k, v in BODY.items() if k != "email"},
        {},
        None,
        [BODY],
    ],
)
def test_body_changes_change_the_fingerprint(body: object) -> None:
    assert fingerprint("POST", "/v1/contacts", body) != fingerprint("POST", "/v1/contacts", BODY)


def test_list_order_matters() -> None:
    assert fingerprint("POST", "/p", {"tags": ["a", "b"]}) != fingerprint("POST", "/p", {"tags": ["b", "a"]})


def test_method_changes_change_the_fingerprint() -> None:
    assert fingerprint("PUT", "/v1/contacts", BODY) != fingerprint("POST", "/v1/contacts", BODY)
    assert fingerprint("PATCH", "/v1/contacts", BODY) != fingerprint("POST", "/v1/contacts", BODY)


def test_path_changes_change_the_fingerprint() -> None:
    assert fingerprint("POST", "/v1/contacts/", BODY) != fingerprint("POST", "/v1/contacts", BODY)
    assert fingerprint("POST", "/v1/companies", BODY) != fingerprint("POST", "/v1/contacts", BODY)


def test_non_json_values_are_fingerprinted() -> None:
    at = datetime(2024, 5, 17, tzinfo=UTC)
    assert fingerprint("POST", "/p", {"at": at}) == fingerprint("POST", "/p", {"at": at})
    assert fingerprint("POST", "/p", {"at": at}) != fingerprint("POST", "/p", {"at": datetime(2024, 5, 18)})


@pytest.mark.parametrize(
    ("loc", "pointer"),
    [
        (("body", "email"), "/email"),
        (("body", "custom_fields", "a/b"), "/custom_fields/a~1b"),
        (("query", "limit"), "/query/limit"),
        (("path", "contact_id"), "/path/contact_id"),
        (("header", "idempotency-key"), "/header/idempotency-key"),
        (("body", "tags", 0), "/tags/0"),
        (("body", "custom_fields", "a~b"), "/custom_fields/a~0b"),
        (("body", "custom_fields", "~1"), "/custom_fields/~01"),
        (("body", "custom_fields", "a/~b"), "/custom_fields/a~1~0b"),
    ],
)
def test_json_pointer(loc: tuple[object, ...], pointer: str) -> None:
    assert json_pointer(loc) == pointer
