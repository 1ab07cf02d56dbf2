"""Principal scopes and API-key hashing."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from junction_common.identity import ROLE_SCOPES, Principal, grantable_scopes, hash_key


def principal(*scopes: str, role: str = "MEMBER") -> Principal:
    return Principal("wrk_1", "key_1", role, frozenset(scopes))


@pytest.mark.parametrize("scope", ["crm:read", "crm:write", "flows:read", "connections:delete", "anything"])
def test_star_grants_every_scope(scope: str) -> None:
    assert principal("*").has_scope(scope)


def test_star_read_grants_read_in_every_family_only() -> None:
    p = principal("*:read")
    assert p.has_scope("crm:read")
    assert p.has_scope("flows:read")
    assert not p.has_scope("crm:write")
    assert not p.has_scope("flows:delete")


def test_family_star_grants_every_action_in_that_family_only() -> None:
    p = principal("crm:*")
    assert p.has_scope("crm:read")
    assert p.has_scope("crm:write")
    assert p.has_scope("crm:delete")
    assert not p.has_scope("flows:read")
    assert not p.has_scope("crmx:read")


def test_exact_scope_grants_only_itself() -> None:
    p = principal("crm:read")
    assert p.has_scope("crm:read")
    assert not p.has_scope("crm:write")
    assert not p.has_scope("flows:read")
    assert not p.has_scope("crm:readx")


def test_scopes_combine() -> None:
    p = principal("crm:read", "flows:*")
    assert p.has_scope("crm:read")
    assert p.has_scope("flows:write")
    assert not p.has_scope("crm:write")
    assert not p.has_scope("webhooks:read")


def test_no_scopes_grant_nothing() -> None:
    p = principal()
    assert not p.has_scope("crm:read")
    assert not p.has_scope("*")


def test_role_scopes() -> None:
    viewer = principal(*ROLE_SCOPES["VIEWER"], role="VIEWER")
    member = principal(*ROLE_SCOPES["MEMBER"], role="MEMBER")
    owner = principal(*ROLE_SCOPES["OWNER"], role="OWNER")
    assert viewer.has_scope("crm:read") and not viewer.has_scope("crm:write")
    assert member.has_scope("crm:read") and member.has_scope("crm:write")
    assert not member.has_scope("workspace:admin")
    assert owner.has_scope("workspace:admin")


def test_grantable_scopes_are_the_required_ones_their_forms_and_wildcards() -> None:
    known = grantable_scopes(["crm:read", "flows.view", "pipelines:admin"])
    assert {"crm:read", "crm:*", "*:read", "flows.view", "flows:read", "flows:*", "pipelines:admin", "*:admin",
            "*", "*:write"} <= known
    assert not {"crm:teleport", "flows.teleport", "telepathy:read", "crm:write"} & known


def test_hash_key_is_deterministic() -> None:
    assert hash_key("jk_live_abc", "pepper") == hash_key("jk_live_abc", "pepper")


def test_hash_key_depends_on_pepper_and_key() -> None:
    base = hash_key("jk_live_abc", "pepper")
    assert hash_key("jk_live_abc", "pepper2") != base
    assert hash_key("jk_live_abd", "pepper") != base


def test_hash_key_is_hmac_sha256_hex_and_hides_the_key() -> None:
    digest = hash_key("jk_live_abc", "pepper")
    assert digest == hmac.new(b"pepper", b"jk_live_abc", hashlib.sha256).hexdigest()
    assert len(digest) == 64
    assert "jk_live_abc" not in digest
    assert digest != hashlib.sha256(b"jk_live_abc").hexdigest()  # keyed, not a bare hash
