"""PKCE (RFC 7636) with the S256 method only: `plain` gives no protection once the challenge is seen."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field

# RFC 7636 section 4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
VERIFIER_PATTERN = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
METHOD = "S256"


@dataclass(frozen=True)
class Pkce:
    """A verifier (kept by Junction, sent only at the token step) and its challenge (sent to authorize)."""

    verifier: str = field(repr=False)
    challenge: str
    method: str = METHOD


def new_verifier(entropy_bytes: int = 48) -> str:
    """A high-entropy verifier: 48 random bytes are 64 base64url characters (section 7.1 asks for 32 or more)."""
    verifier = secrets.token_urlsafe(entropy_bytes)
    if not VERIFIER_PATTERN.match(verifier):
        raise ValueError("a PKCE verifier has 43 to 128 unreserved characters")
    return verifier


def challenge_s256(verifier: str) -> str:
    """BASE64URL-ENCODE(SHA256(ASCII(code_verifier))), without padding (section 4.2)."""
    if not VERIFIER_PATTERN.match(verifier):
        raise ValueError("a PKCE verifier has 43 to 128 unreserved characters")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_pkce() -> Pkce:
    verifier = new_verifier()
    return Pkce(verifier=verifier, challenge=challenge_s256(verifier))


def matches(verifier: str, challenge: str) -> bool:
    """Whether `verifier` answers `challenge` (what a provider checks at the token step), in constant time."""
    try:
        expected = challenge_s256(verifier)
    except ValueError:
        return False
    return secrets.compare_digest(expected, challenge)
