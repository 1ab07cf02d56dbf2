"""Ids: the ULID layout in Crockford base32, lower case, sorting by time."""

from __future__ import annotations

import random

from junction_common.ids import new_id, new_ulid

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def by_hand(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(ALPHABET[rem])
    return "".join(reversed(chars))


def test_an_id_is_its_time_then_its_random_bits_in_crockford_base32() -> None:
    rng = random.Random(7)
    for ms in (0, 1, 1_796_110_034_236, 2**48 - 1):
        for rand in (0, 1, 2**80 - 1, rng.getrandbits(80)):
            assert new_ulid(ms, rand) == by_hand(ms, 10) + by_hand(rand, 16)


def test_ids_sort_by_time_and_carry_their_prefix() -> None:
    earlier, later = new_ulid(1_000), new_ulid(1_001)
    assert len(earlier) == 26 and earlier < later and set(earlier) <= set(ALPHABET)
    assert new_id("con").startswith("con_") and new_id("con") != new_id("con")
