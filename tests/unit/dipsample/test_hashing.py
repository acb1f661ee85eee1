"""The keyed hash behind every draw is SipHash-2-4 exactly, so anyone can recompute a draw."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dipsample import hashing

KEY = bytes(range(16))  # the key of the published test vectors
SEED = int.from_bytes(KEY, "little")
MASK = (1 << 64) - 1


def reference_siphash24(message: bytes, key: bytes) -> int:
    """SipHash-2-4 written out from the paper, one message at a time."""
    k0, k1 = int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little")
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D,
         k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]

    def rotl(x: int, b: int) -> int:
        return ((x << b) | (x >> (64 - b))) & MASK

    def sipround() -> None:
        v[0] = (v[0] + v[1]) & MASK
        v[1] = rotl(v[1], 13) ^ v[0]
        v[0] = rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & MASK
        v[3] = rotl(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & MASK
        v[3] = rotl(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & MASK
        v[1] = rotl(v[1], 17) ^ v[2]
        v[2] = rotl(v[2], 32)

    n = len(message)
    padded = message + b"\0" * (7 - n % 8) + bytes([n & 0xFF])
    for i in range(0, len(padded), 8):
        m = int.from_bytes(padded[i:i + 8], "little")
        v[3] ^= m
        sipround()
        sipround()
        v[0] ^= m
    v[2] ^= 0xFF
    for _ in range(4):
        sipround()
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def test_the_reference_matches_the_published_vectors():
    assert reference_siphash24(b"", KEY) == 0x726FDB47DD0E0E31
    assert reference_siphash24(bytes(range(15)), KEY) == 0xA129CA6149BE45E5


def test_the_vectorised_hash_gives_the_published_vector():
    assert int(hashing.siphash24([bytes(range(15)).decode("ascii")], SEED)[0]) == 0xA129CA6149BE45E5


@given(st.lists(st.text(min_size=1, max_size=40).filter(lambda t: "\x00" not in t),
                min_size=1, max_size=30),
       st.integers(min_value=0, max_value=(1 << 128) - 1))
def test_the_vectorised_hash_equals_the_reference_for_any_ids_and_seed(ids, seed):
    key = seed.to_bytes(16, "little")
    got = hashing.siphash24(ids, seed)
    assert [int(h) for h in got] == [reference_siphash24(i.encode("utf-8"), key) for i in ids]


def test_rank_order_is_by_hash_and_does_not_depend_on_row_order():
    ids = [f"X{i:06d}" for i in range(500)]
    order = [ids[i] for i in hashing.rank_order(ids, 42)]
    key = (42).to_bytes(16, "little")
    expected = sorted(ids, key=lambda c: reference_siphash24(c.encode(), key))
    assert order == expected
    shuffled = list(np.random.default_rng(1).permutation(ids))
    assert [shuffled[i] for i in hashing.rank_order(shuffled, 42)] == expected
    assert [ids[i] for i in hashing.rank_order(ids, 43)] != expected


@pytest.mark.parametrize("text, value", [("42", 42), ("0x2a", 42), ("0X2A", 42),
                                         ("1_000", 1000)])
def test_seeds_are_read_in_decimal_or_hex(text, value):
    assert hashing.parse_seed(text) == value


@pytest.mark.parametrize("text", ["", "abc", "-1", str(1 << 128), "4.5"])
def test_a_bad_seed_is_refused_with_what_a_seed_is(text):
    with pytest.raises(ValueError, match="seed"):
        hashing.parse_seed(text)


def test_new_seeds_are_128_bit_and_recorded_as_32_hex_digits():
    seeds = {hashing.new_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(0 <= s < 1 << 128 for s in seeds)
    assert hashing.format_seed(42) == "0x" + "0" * 30 + "2a"
