"""Deterministic randomness: every sandbox value is a pure function of (seed, names, indices).

Python's `hash()` is salted per process and `random.Random` is stateful, so neither can give
"same seed, same bytes" for data that is generated lazily and out of order. Instead every value
is derived by hashing its coordinates (splitmix64 finaliser), and the two places that need a
bijection use small Feistel networks: the permutation that deals out `percent_viewed` values
(so a day's total is known without visiting its events) and the event-key codec (so an
`event_key` decodes back to the coordinates that generated it).
"""

from __future__ import annotations

from functools import lru_cache
from hashlib import blake2b

MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def mix64(x: int) -> int:
    """splitmix64's finaliser: a cheap, well-spread 64-bit hash of a 64-bit integer."""
    x = (x + _GOLDEN) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


@lru_cache(maxsize=4096)
def text_key(text: str) -> int:
    """A stable 64-bit number for a name (media ids, labels); blake2b, not the salted hash()."""
    return int.from_bytes(blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def derive(*parts: int | str) -> int:
    """A 64-bit key for a tuple of coordinates, e.g. derive(seed, "day", media, ordinal)."""
    h = 0x243F6A8885A308D3
    for part in parts:
        value = text_key(part) if isinstance(part, str) else part & MASK64
        h = mix64(h ^ value)
    return h


def unit(key: int) -> float:
    """A float in [0, 1) from a 64-bit key."""
    return (key >> 11) * (1.0 / (1 << 53))


class Draws:
    """A deterministic stream of draws from one key: the n-th draw depends only on (key, n)."""

    __slots__ = ("_key", "_n")

    def __init__(self, key: int):
        self._key = key
        self._n = 0

    def bits(self) -> int:
        self._n += 1
        return mix64(self._key ^ (self._n * _GOLDEN & MASK64))

    def unit(self) -> float:
        return unit(self.bits())

    def below(self, n: int) -> int:
        return self.bits() % n

    def chance(self, p: float) -> bool:
        return self.unit() < p

    def pick(self, items):
        return items[self.bits() % len(items)]

    def between(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.unit()

    def hex(self, length: int) -> str:
        out = ""
        while len(out) < length:
            out += f"{self.bits():016x}"
        return out[:length]


class Permutation:
    """A pseudo-random bijection of range(n): balanced Feistel on the next even power of two,
    cycle-walking back into range (fewer than 4 rounds of walking on average)."""

    __slots__ = ("n", "_half", "_mask", "_keys")

    def __init__(self, n: int, key: int):
        if n < 1:
            raise ValueError("a permutation needs n >= 1")
        bits = max(2, (n - 1).bit_length())
        bits += bits % 2
        self.n = n
        self._half = bits // 2
        self._mask = (1 << self._half) - 1
        self._keys = tuple(derive(key, "round", r) for r in range(4))

    def _encrypt(self, x: int) -> int:
        left, right = x >> self._half, x & self._mask
        for k in self._keys:
            left, right = right, left ^ (mix64(right ^ k) & self._mask)
        return (left << self._half) | right

    def __call__(self, x: int) -> int:
        x = self._encrypt(x)
        while x >= self.n:
            x = self._encrypt(x)
        return x


class EventKeyCodec:
    """`event_key` <-> (day ordinal, media slot, stream id, index), keyed by the seed.

    The 72-bit coordinates plus a 56-bit check go through a 4-round Feistel network on two
    64-bit halves, so keys look random, are unique by construction, and a lookup by key
    (`/stats/events/{key}.json`) needs no index. A forged or foreign key fails the check.
    """

    _CHECK_BITS = 56

    def __init__(self, seed: int):
        self._seed = seed
        self._keys = tuple(derive(seed, "event-key", r) for r in range(4))

    def encode(self, day_ordinal: int, media_slot: int, stream_id: int, index: int) -> str:
        if not (
            0 <= day_ordinal < 1 << 20
            and 0 <= media_slot < 1 << 12
            and 0 <= stream_id < 1 << 8
            and 0 <= index < 1 << 32
        ):
            raise ValueError("event coordinates out of range")
        payload = (day_ordinal << 52) | (media_slot << 40) | (stream_id << 32) | index
        block = (payload << self._CHECK_BITS) | self._check(payload)
        left, right = block >> 64, block & MASK64
        for k in self._keys:
            left, right = right, left ^ mix64(right ^ k)
        return f"{(left << 64) | right:032x}"

    def decode(self, event_key: str) -> tuple[int, int, int, int] | None:
        if len(event_key) != 32:
            return None
        try:
            block = int(event_key, 16)
        except ValueError:
            return None
        left, right = block >> 64, block & MASK64
        for k in reversed(self._keys):
            left, right = right ^ mix64(left ^ k), left
        block = (left << 64) | right
        payload, check = block >> self._CHECK_BITS, block & ((1 << self._CHECK_BITS) - 1)
        if check != self._check(payload):
            return None
        return (
            payload >> 52,
            (payload >> 40) & 0xFFF,
            (payload >> 32) & 0xFF,
            payload & 0xFFFFFFFF,
        )

    def _check(self, payload: int) -> int:
        low, high = payload & MASK64, payload >> 64
        return derive(self._seed, "check", low, high) >> (64 - self._CHECK_BITS)
