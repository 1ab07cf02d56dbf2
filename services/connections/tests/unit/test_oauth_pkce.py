"""PKCE S256 (RFC 7636)."""

from __future__ import annotations

import pytest

from connections.oauth.pkce import VERIFIER_PATTERN, challenge_s256, matches, new_pkce, new_verifier


def test_the_rfc_7636_appendix_b_vector() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert challenge_s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")


def test_new_verifiers_are_long_unreserved_and_distinct() -> None:
    verifiers = {new_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    assert all(VERIFIER_PATTERN.match(v) and len(v) >= 43 for v in verifiers)


def test_a_pair_matches_and_another_verifier_does_not() -> None:
    pkce = new_pkce()
    assert pkce.method == "S256" and matches(pkce.verifier, pkce.challenge)
    assert not matches(new_verifier(), pkce.challenge)
    assert pkce.verifier not in repr(pkce)


@pytest.mark.parametrize("verifier", ["short", "x" * 129, "a" * 42 + "!", "é" * 50])
def test_a_verifier_outside_the_rfc_is_refused(verifier: str) -> None:
    with pytest.raises(ValueError):
        challenge_s256(verifier)
    assert not matches(verifier, "anything")
