"""Credentials vault: envelope encryption with AES-GCM, key id stored with each ciphertext, rotatable keys.

Each secret gets its own random data key (DEK); the DEK is wrapped by a key-encryption key (KEK) named by
`kid`. Rotation adds a KEK, makes it active, and re-wraps DEKs without touching the secret ciphertext.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class VaultError(Exception):
    """A ciphertext could not be opened: unknown key, or it was tampered with."""


@dataclass(frozen=True)
class SealedSecret:
    """What is stored at rest; every field is safe to persist, none is the secret."""

    kid: str
    wrapped_key: str
    nonce: str
    ciphertext: str

    def to_dict(self) -> dict[str, str]:
        return {"kid": self.kid, "wrapped_key": self.wrapped_key, "nonce": self.nonce, "ciphertext": self.ciphertext}

    @classmethod
    def from_dict(cls, raw: dict[str, str]) -> SealedSecret:
        return cls(raw["kid"], raw["wrapped_key"], raw["nonce"], raw["ciphertext"])


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode())


def parse_keys(spec: str) -> dict[str, bytes]:
    """Parse `kid:base64key,kid2:base64key` into 32-byte keys."""
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        kid, _, b64key = part.partition(":")
        key = _unb64(b64key)
        if len(key) != 32:
            raise ValueError(f"vault key {kid!r} must be 32 bytes")
        keys[kid] = key
    return keys


class Vault:
    """Seal and open secrets; `aad` binds a ciphertext to its owner (workspace, resource)."""

    def __init__(self, keys: dict[str, bytes], active_kid: str) -> None:
        if active_kid not in keys:
            raise ValueError(f"active vault key {active_kid!r} is not configured")
        self._keys, self._active = dict(keys), active_kid

    @property
    def active_kid(self) -> str:
        return self._active

    def seal(self, plaintext: bytes, aad: bytes = b"") -> SealedSecret:
        dek, nonce, wrap_nonce = AESGCM.generate_key(256), os.urandom(12), os.urandom(12)
        ciphertext = AESGCM(dek).encrypt(nonce, plaintext, aad)
        wrapped = wrap_nonce + AESGCM(self._keys[self._active]).encrypt(wrap_nonce, dek, self._active.encode())
        return SealedSecret(self._active, _b64(wrapped), _b64(nonce), _b64(ciphertext))

    def open(self, sealed: SealedSecret, aad: bytes = b"") -> bytes:
        try:
            dek = self._unwrap(sealed)
            return AESGCM(dek).decrypt(_unb64(sealed.nonce), _unb64(sealed.ciphertext), aad)
        except (InvalidTag, ValueError) as exc:
            raise VaultError("secret could not be opened (tampered or wrong context)") from exc

    def rewrap(self, sealed: SealedSecret) -> SealedSecret:
        """Re-wrap the data key under the active key; the secret's ciphertext is unchanged."""
        if sealed.kid == self._active:
            return sealed
        try:
            dek = self._unwrap(sealed)
        except (InvalidTag, ValueError) as exc:
            raise VaultError("secret could not be re-wrapped") from exc
        wrap_nonce = os.urandom(12)
        wrapped = wrap_nonce + AESGCM(self._keys[self._active]).encrypt(wrap_nonce, dek, self._active.encode())
        return SealedSecret(self._active, _b64(wrapped), sealed.nonce, sealed.ciphertext)

    def _unwrap(self, sealed: SealedSecret) -> bytes:
        kek = self._keys.get(sealed.kid)
        if kek is None:
            raise VaultError(f"unknown vault key id {sealed.kid!r}")
        raw = _unb64(sealed.wrapped_key)
        return AESGCM(kek).decrypt(raw[:12], raw[12:], sealed.kid.encode())
