"""The OAuth state without storage: genuine, forged, tampered, expired, bound to another workspace."""

from __future__ import annotations

import base64
import json

import pytest

from connections.oauth.state import StateClaims, StateRefused, StateSigner, state_key

KEY = state_key("test-signing-secret")


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def issue(signer: StateSigner, workspace_id: str = "ws_1") -> tuple[str, StateClaims]:
    return signer.issue(workspace_id=workspace_id, connection_id="conn_1", provider="sim_oauth",
                        redirect_uri="https://app.example/cb", verifier_ref="pkce_1")


def refused(signer: StateSigner, token: str, **expect: str) -> str:
    with pytest.raises(StateRefused) as caught:
        signer.check(token, **expect)
    assert not token or token not in str(caught.value)
    return caught.value.reason


def test_a_genuine_state_gives_back_its_claims() -> None:
    clock = Clock()
    signer = StateSigner(KEY, ttl_s=600, clock=clock)
    token, claims = issue(signer)
    assert signer.check(token, workspace_id="ws_1", provider="sim_oauth") == claims
    assert (claims.connection_id, claims.verifier_ref, claims.expires_at) == ("conn_1", "pkce_1", clock.now + 600)
    assert issue(signer)[1].state_id != claims.state_id


def test_a_state_signed_with_another_key_is_forged() -> None:
    token, _ = issue(StateSigner(state_key("another-secret")))
    assert refused(StateSigner(KEY), token) == "forged"


def test_tampered_claims_are_forged() -> None:
    signer = StateSigner(KEY)
    token, _ = issue(signer)
    body, signature = token.split(".")
    changed = dict(json.loads(base64.urlsafe_b64decode(body + "==")), workspace_id="ws_attacker")
    forged_body = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    assert refused(signer, f"{forged_body}.{signature}") == "forged"
    assert refused(signer, f"{body}.{signature[:-2]}AA") == "forged"
    assert refused(signer, f"{body}.{signature}é") == "forged"


def test_an_expired_state_is_refused() -> None:
    clock = Clock()
    signer = StateSigner(KEY, ttl_s=600, clock=clock)
    token, _ = issue(signer)
    clock.now += 599
    signer.check(token)
    clock.now += 1
    assert refused(signer, token) == "expired"


def test_a_state_of_another_workspace_or_provider_is_refused() -> None:
    signer = StateSigner(KEY)
    token, _ = issue(signer, workspace_id="ws_1")
    assert refused(signer, token, workspace_id="ws_2") == "wrong_workspace"
    assert refused(signer, token, provider="hubspot") == "wrong_provider"


@pytest.mark.parametrize("token", ["", "no-dot", ".sig", "body.", "x" * 5000])
def test_malformed_states_are_refused(token: str) -> None:
    assert refused(StateSigner(KEY), token) == "malformed"


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError):
        StateSigner(b"short")
