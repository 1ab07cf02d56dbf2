"""Vault: envelope encryption, context binding, tamper detection and key rotation."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest

from junction_common.settings import DEV_VAULT_KEYS
from junction_common.vault import SealedSecret, Vault, VaultError, parse_keys

K1 = bytes(range(32))
K2 = bytes(range(100, 132))
PLAINTEXT = b"sk_live_super-secret-token-0123456789"
AAD = b"wrk_1:cnx_1"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def flip(field_b64: str, index: int = 0) -> str:
    raw = bytearray(base64.b64decode(field_b64))
    raw[index] ^= 0x01
    return b64(bytes(raw))


@pytest.fixture
def vault() -> Vault:
    return Vault({"k1": K1}, "k1")


@pytest.fixture
def sealed(vault: Vault) -> SealedSecret:
    return vault.seal(PLAINTEXT, AAD)


# --- seal / open -----------------------------------------------------------------------------------


def test_seal_open_round_trip(vault: Vault, sealed: SealedSecret) -> None:
    assert sealed.kid == "k1"
    assert vault.open(sealed, AAD) == PLAINTEXT


def test_round_trip_without_aad_and_with_empty_plaintext(vault: Vault) -> None:
    assert vault.open(vault.seal(b"")) == b""
    assert vault.open(vault.seal(b"x" * 10_000)) == b"x" * 10_000


def test_round_trip_through_to_dict(vault: Vault, sealed: SealedSecret) -> None:
    stored = json.loads(json.dumps(sealed.to_dict()))
    assert SealedSecret.from_dict(stored) == sealed
    assert vault.open(SealedSecret.from_dict(stored), AAD) == PLAINTEXT


def test_each_seal_uses_fresh_randomness(vault: Vault) -> None:
    a, b = vault.seal(PLAINTEXT, AAD), vault.seal(PLAINTEXT, AAD)
    assert a.ciphertext != b.ciphertext
    assert a.nonce != b.nonce
    assert a.wrapped_key != b.wrapped_key


@pytest.mark.parametrize("aad", [b"", b"wrk_2:cnx_1", b"wrk_1:cnx_2", AAD + b"\x00"])
def test_aad_mismatch_is_rejected(vault: Vault, sealed: SealedSecret, aad: bytes) -> None:
    with pytest.raises(VaultError):
        vault.open(sealed, aad)


def test_tampered_ciphertext_is_rejected(vault: Vault, sealed: SealedSecret) -> None:
    for index in (0, -1):
        bad = dataclasses.replace(sealed, ciphertext=flip(sealed.ciphertext, index))
        with pytest.raises(VaultError):
            vault.open(bad, AAD)


def test_truncated_ciphertext_is_rejected(vault: Vault, sealed: SealedSecret) -> None:
    bad = dataclasses.replace(sealed, ciphertext=b64(base64.b64decode(sealed.ciphertext)[:-1]))
    with pytest.raises(VaultError):
        vault.open(bad, AAD)


def test_tampered_nonce_is_rejected(vault: Vault, sealed: SealedSecret) -> None:
    bad = dataclasses.replace(sealed, nonce=flip(sealed.nonce))
    with pytest.raises(VaultError):
        vault.open(bad, AAD)


@pytest.mark.parametrize("index", [0, 12, -1], ids=["wrap-nonce", "wrapped-dek", "wrap-tag"])
def test_tampered_wrapped_key_is_rejected(vault: Vault, sealed: SealedSecret, index: int) -> None:
    bad = dataclasses.replace(sealed, wrapped_key=flip(sealed.wrapped_key, index))
    with pytest.raises(VaultError):
        vault.open(bad, AAD)


def test_swapped_wrapped_key_from_another_secret_is_rejected(vault: Vault, sealed: SealedSecret) -> None:
    other = vault.seal(PLAINTEXT, AAD)
    with pytest.raises(VaultError):
        vault.open(dataclasses.replace(sealed, wrapped_key=other.wrapped_key), AAD)


def test_malformed_base64_is_rejected(vault: Vault, sealed: SealedSecret) -> None:
    with pytest.raises(VaultError):
        vault.open(dataclasses.replace(sealed, nonce="!!!not base64"), AAD)


def test_unknown_kid_is_rejected(vault: Vault, sealed: SealedSecret) -> None:
    with pytest.raises(VaultError, match="unknown vault key"):
        vault.open(dataclasses.replace(sealed, kid="k9"), AAD)


def test_relabelled_kid_is_rejected(sealed: SealedSecret) -> None:
    """The kid is bound to the wrapped key: claiming another known kid does not open it."""
    both = Vault({"k1": K1, "k2": K1}, "k1")  # even the same key bytes under another name
    with pytest.raises(VaultError):
        both.open(dataclasses.replace(sealed, kid="k2"), AAD)


# --- rotation --------------------------------------------------------------------------------------


def test_rotation_opens_old_secrets_and_rewrap_moves_them(sealed: SealedSecret) -> None:
    rotated = Vault({"k1": K1, "k2": K2}, "k2")
    assert rotated.active_kid == "k2"
    assert rotated.open(sealed, AAD) == PLAINTEXT

    rewrapped = rotated.rewrap(sealed)
    assert rewrapped.kid == "k2"
    assert rewrapped.ciphertext == sealed.ciphertext
    assert rewrapped.nonce == sealed.nonce
    assert rewrapped.wrapped_key != sealed.wrapped_key
    assert rotated.open(rewrapped, AAD) == PLAINTEXT

    only_k2 = Vault({"k2": K2}, "k2")
    assert only_k2.open(rewrapped, AAD) == PLAINTEXT
    with pytest.raises(VaultError):
        only_k2.open(sealed, AAD)


def test_rewrap_keeps_aad_binding(sealed: SealedSecret) -> None:
    rewrapped = Vault({"k1": K1, "k2": K2}, "k2").rewrap(sealed)
    with pytest.raises(VaultError):
        Vault({"k2": K2}, "k2").open(rewrapped, b"wrk_2:cnx_1")


def test_rewrap_under_the_active_key_is_a_no_op(vault: Vault, sealed: SealedSecret) -> None:
    assert vault.rewrap(sealed) is sealed


def test_new_seals_use_the_active_key() -> None:
    rotated = Vault({"k1": K1, "k2": K2}, "k2")
    assert rotated.seal(PLAINTEXT).kid == "k2"
    with pytest.raises(VaultError):
        Vault({"k1": K1}, "k1").open(rotated.seal(PLAINTEXT))


def test_rewrap_of_unknown_or_tampered_secret_is_rejected(sealed: SealedSecret) -> None:
    rotated = Vault({"k2": K2, "k3": K1[::-1]}, "k3")
    with pytest.raises(VaultError):
        rotated.rewrap(sealed)  # k1 is not configured
    with pytest.raises(VaultError):
        Vault({"k1": K1, "k2": K2}, "k2").rewrap(
            dataclasses.replace(sealed, wrapped_key=flip(sealed.wrapped_key, 20))
        )


# --- keys ------------------------------------------------------------------------------------------


def test_parse_keys_reads_kid_base64_pairs() -> None:
    keys = parse_keys(f" k1:{b64(K1)} , k2:{b64(K2)},")
    assert keys == {"k1": K1, "k2": K2}
    assert parse_keys("") == {}


def test_parse_keys_accepts_the_dev_default() -> None:
    keys = parse_keys(DEV_VAULT_KEYS)
    assert list(keys) == ["dev1"]
    assert len(keys["dev1"]) == 32


@pytest.mark.parametrize("length", [0, 16, 24, 31, 33, 64])
def test_parse_keys_rejects_non_32_byte_keys(length: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        parse_keys(f"k1:{b64(K1)},bad:{b64(b'k' * length)}")


def test_parse_keys_rejects_a_missing_key() -> None:
    with pytest.raises(ValueError):
        parse_keys("k1")


def test_unknown_active_kid_is_refused() -> None:
    with pytest.raises(ValueError, match="k2"):
        Vault({"k1": K1}, "k2")
    with pytest.raises(ValueError):
        Vault({}, "k1")


def test_vault_copies_its_key_map() -> None:
    keys = {"k1": K1}
    v = Vault(keys, "k1")
    sealed = v.seal(PLAINTEXT)
    keys.clear()
    assert v.open(sealed) == PLAINTEXT


# --- nothing leaks ---------------------------------------------------------------------------------


def test_sealed_repr_and_dict_never_contain_the_plaintext(sealed: SealedSecret) -> None:
    text = PLAINTEXT.decode()
    renderings = [repr(sealed), str(sealed), json.dumps(sealed.to_dict()), *sealed.to_dict().values()]
    for rendering in renderings:
        assert text not in rendering
        assert b64(PLAINTEXT) not in rendering
        assert "super-secret" not in rendering
    for name in ("wrapped_key", "nonce", "ciphertext"):
        assert PLAINTEXT not in base64.b64decode(sealed.to_dict()[name])


def test_vault_repr_does_not_show_keys(vault: Vault) -> None:
    assert b64(K1) not in repr(vault)
    assert repr(K1) not in repr(vault)
