"""Keyed ranks for reproducible selection: SipHash-2-4 of each case id, keyed by the seed.

A sample must come out the same on any machine and with any library version,
whatever order the frame's rows are in. So cases are not chosen by a random
number generator (whose stream may change between versions) but ranked by
SipHash-2-4 (Aumasson and Bernstein, 2012: a published, fixed algorithm) of
the case id's UTF-8 bytes, keyed by the 128-bit seed: the low 64 bits of the
seed are the first key word, the high 64 bits the second. Lowest value first;
ties (vanishingly rare) are broken by the id itself. Anyone can recompute a
draw from the seed and the ids with any SipHash implementation.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import numpy as np

SEED_BITS = 128
_MASK64 = (1 << 64) - 1
_C = (0x736F6D6570736575, 0x646F72616E646F6D, 0x6C7967656E657261, 0x7465646279746573)


def new_seed() -> int:
    """A fresh 128-bit seed from the operating system's secure source."""
    return secrets.randbits(SEED_BITS)


def check_seed(seed: int) -> int:
    """The seed if it is a whole number from 0 to 2**128 - 1, else ValueError."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 1 << SEED_BITS:
        raise ValueError(f"a seed is a whole number from 0 to 2**128 - 1, not {seed!r}")
    return seed


def parse_seed(text: str) -> int:
    """A seed written in decimal or as 0x-prefixed hexadecimal."""
    t = text.strip().replace("_", "")
    try:
        value = int(t, 16) if t.lower().startswith("0x") else int(t, 10)
    except ValueError:
        raise ValueError(f"'{text}' is not a seed: use a whole number (decimal or 0x...)") from None
    return check_seed(value)


def format_seed(seed: int) -> str:
    """The seed as 32 hexadecimal digits with a 0x prefix (how logs record it)."""
    return f"0x{check_seed(seed):032x}"


_CHUNK = 1 << 14  # rows hashed at a time: small enough to stay in the processor's cache


def _rotl(x: np.ndarray, b: int, tmp: np.ndarray) -> None:
    """Rotate ``x`` left by ``b`` bits in place."""
    np.right_shift(x, np.uint64(64 - b), out=tmp)
    np.left_shift(x, np.uint64(b), out=x)
    np.bitwise_or(x, tmp, out=x)


def _rounds(v0: np.ndarray, v1: np.ndarray, v2: np.ndarray, v3: np.ndarray, times: int,
            tmp: np.ndarray) -> None:
    """``times`` SipRounds, in place."""
    for _ in range(times):
        v0 += v1
        _rotl(v1, 13, tmp)
        v1 ^= v0
        _rotl(v0, 32, tmp)
        v2 += v3
        _rotl(v3, 16, tmp)
        v3 ^= v2
        v0 += v3
        _rotl(v3, 21, tmp)
        v3 ^= v0
        v2 += v1
        _rotl(v1, 17, tmp)
        v1 ^= v2
        _rotl(v2, 32, tmp)


def _siphash_blocks(words: np.ndarray, k0: int, k1: int) -> np.ndarray:
    """SipHash-2-4 of messages already cut into little-endian words (rows), padding included."""
    m = words.shape[0]
    out = np.empty(m, dtype=np.uint64)
    for lo in range(0, m, _CHUNK):
        w = words[lo:lo + _CHUNK]
        size = w.shape[0]
        v0 = np.full(size, k0 ^ _C[0], dtype=np.uint64)
        v1 = np.full(size, k1 ^ _C[1], dtype=np.uint64)
        v2 = np.full(size, k0 ^ _C[2], dtype=np.uint64)
        v3 = np.full(size, k1 ^ _C[3], dtype=np.uint64)
        tmp = np.empty(size, dtype=np.uint64)
        for j in range(w.shape[1]):
            block = w[:, j]
            v3 ^= block
            _rounds(v0, v1, v2, v3, 2, tmp)
            v0 ^= block
        v2 ^= np.uint64(0xFF)
        _rounds(v0, v1, v2, v3, 4, tmp)
        v0 ^= v1
        v0 ^= v2
        v0 ^= v3
        out[lo:lo + size] = v0
    return out


def siphash24(ids: Sequence[str] | np.ndarray, seed: int) -> np.ndarray:
    """SipHash-2-4 (uint64) of each id's UTF-8 bytes (or each item of a bytes array), keyed."""
    check_seed(seed)
    k0, k1 = seed & _MASK64, seed >> 64
    if isinstance(ids, np.ndarray) and ids.dtype.kind == "S":
        values = ids  # already bytes (a validated frame's CRNs): no conversion
    else:
        values = np.asarray(ids, dtype=object)
    out = np.empty(len(values), dtype=np.uint64)
    if not len(values):
        return out
    try:
        raw = values if values.dtype.kind == "S" else values.astype("S")  # ASCII ids
        lengths = np.char.str_len(raw)
        matrix = raw.view(np.uint8).reshape(len(raw), raw.dtype.itemsize)
    except UnicodeEncodeError:
        data = [str(v).encode("utf-8") for v in values.tolist()]
        width = max(len(d) for d in data) or 1
        lengths = np.array([len(d) for d in data])
        matrix = np.zeros((len(data), width), dtype=np.uint8)
        for i, d in enumerate(data):
            matrix[i, :len(d)] = np.frombuffer(d, dtype=np.uint8)
    # NumPy's bytes type drops trailing NUL bytes; an id never holds one.
    first = int(lengths[0])
    if (lengths == first).all():  # one length (all CRNs): no gather by length needed
        out[:] = _siphash_blocks(_words(matrix, first), k0, k1)
        return out
    for length in np.unique(lengths).tolist():
        rows = np.flatnonzero(lengths == length)
        out[rows] = _siphash_blocks(_words(matrix[rows], length), k0, k1)
    return out


def _words(matrix: np.ndarray, length: int) -> np.ndarray:
    """Messages of ``length`` bytes (rows of ``matrix``), padded as SipHash pads them."""
    blocks = length // 8 + 1
    buf = np.zeros((matrix.shape[0], blocks * 8), dtype=np.uint8)
    buf[:, :length] = matrix[:, :length]
    buf[:, blocks * 8 - 1] = length & 0xFF
    return buf.view("<u8").reshape(matrix.shape[0], blocks).astype(np.uint64)


def rank_order(ids: Sequence[str] | np.ndarray, seed: int) -> np.ndarray:
    """Positions of ``ids`` from lowest keyed hash to highest (ties by id): the draw order."""
    values = np.asarray(ids, dtype=object)
    h = siphash24(values, seed)
    order = np.argsort(h, kind="stable")
    if len(order) > 1 and (np.diff(h[order]) == 0).any():
        order = np.lexsort((values.astype(str), h))
    return order
