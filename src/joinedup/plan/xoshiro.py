# mypy: disable-error-code="no-untyped-def,no-untyped-call"
"""The engine's random numbers: xoshiro256+ (Blackman and Vigna, 2018) with its state in a small array.

Each replication seeds its own state with splitmix64 (Steele, Lea and Flood, 2014), so streams depend on
the replication's seed alone. The generator is inlined into the event loop: Numba's own generator costs
10 ns a uniform and 47 ns a normal here, a fifth of a run. Normals and exponentials come from the
ziggurat method (Marsaglia and Tsang, Journal of Statistical Software 5(8), 2000) with 256 layers, laid
out as in NumPy's generator: one 64-bit draw gives the layer, the sign and the value, and 99% of draws
need no logarithm, square root or cosine (a tenth less CPU a replication of LLR than the Box-Muller
transform and -log(U)). Gammas come from Marsaglia and Tsang's method (2000).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import int64, uint64

from joinedup.plan.kernelcache import kernel

MASK64 = (1 << 64) - 1
ZIG_LAYERS = 256
# Ziggurat constants (NumPy's): the base layer's right edge r and every layer's area v.
NORMAL_R, NORMAL_V = 3.6541528853610088, 0.00492867323399
EXP_R, EXP_V = 7.69711747013104972, 0.0039496598225815571993


def _normal_tables() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per layer of the normal's ziggurat (its half density exp(-x²/2)): the 52-bit integers below which
    a draw is accepted at once (k), the width of one integer step (w), the density at the layer's edge (f)."""
    k, w, f = np.zeros(ZIG_LAYERS, np.uint64), np.zeros(ZIG_LAYERS), np.zeros(ZIG_LAYERS)
    scale = 2.0**52
    edge = previous = NORMAL_R
    q = NORMAL_V / math.exp(-0.5 * edge * edge)
    k[0], w[0], w[-1] = int(edge / q * scale), q / scale, edge / scale
    f[0], f[-1] = 1.0, math.exp(-0.5 * edge * edge)
    for i in range(ZIG_LAYERS - 2, 0, -1):
        edge = math.sqrt(-2.0 * math.log(NORMAL_V / edge + math.exp(-0.5 * edge * edge)))
        k[i + 1] = int(edge / previous * scale)
        previous = edge
        f[i], w[i] = math.exp(-0.5 * edge * edge), edge / scale
    return k, w, f


def _exponential_tables() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The same three tables for the standard exponential's ziggurat (density exp(-x)), 53-bit integers."""
    k, w, f = np.zeros(ZIG_LAYERS, np.uint64), np.zeros(ZIG_LAYERS), np.zeros(ZIG_LAYERS)
    scale = 2.0**53
    edge = previous = EXP_R
    q = EXP_V / math.exp(-edge)
    k[0], w[0], w[-1] = int(edge / q * scale), q / scale, edge / scale
    f[0], f[-1] = 1.0, math.exp(-edge)
    for i in range(ZIG_LAYERS - 2, 0, -1):
        edge = -math.log(EXP_V / edge + math.exp(-edge))
        k[i + 1] = int(edge / previous * scale)
        previous = edge
        f[i], w[i] = math.exp(-edge), edge / scale
    return k, w, f


# Module-level arrays: Numba compiles them in as constants.
NORMAL_K, NORMAL_W, NORMAL_F = _normal_tables()
EXP_K, EXP_W, EXP_F = _exponential_tables()


def seeded_state(seed: int) -> npt.NDArray[np.uint64]:
    """Four 64-bit words of xoshiro256+ state from one seed, by splitmix64."""
    state = []
    x = seed & MASK64
    for _ in range(4):
        x = (x + 0x9E3779B97F4A7C15) & MASK64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        state.append(z ^ (z >> 31))
    return np.array(state, dtype=np.uint64)


@kernel(inline="always")
def next_word(rng):
    """The next 64-bit output of xoshiro256+ (its lowest three bits are its weakest: callers drop them)."""
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    result = s0 + s3
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << uint64(45)) | (s3 >> uint64(19))
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return result


@kernel(inline="always")
def uniform(rng):
    """A uniform number in (0, 1), never exactly 0 or 1."""
    return (float(next_word(rng) >> uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@kernel()
def _exponential_edge(rng, layer, x):
    """The ziggurat's rare case: the exponential's tail beyond the base layer, or a draw near a layer's
    curved edge (kept if under the density, else a fresh draw)."""
    while True:
        if layer == 0:
            return EXP_R - np.log(uniform(rng))
        if (EXP_F[layer - 1] - EXP_F[layer]) * uniform(rng) + EXP_F[layer] < np.exp(-x):
            return x
        word = next_word(rng) >> uint64(3)
        layer = int64(word & uint64(0xFF))
        word >>= uint64(8)
        x = float(word) * EXP_W[layer]
        if word < EXP_K[layer]:
            return x


@kernel(inline="always")
def exponential(rng, mean):
    """An exponential number with the given mean (ziggurat)."""
    word = next_word(rng) >> uint64(3)
    layer = int64(word & uint64(0xFF))
    word >>= uint64(8)
    x = float(word) * EXP_W[layer]
    if word < EXP_K[layer]:
        return mean * x
    return mean * _exponential_edge(rng, layer, x)


@kernel()
def _normal_edge(rng, layer, x, negative):
    """The ziggurat's rare case for a normal: the tail beyond the base layer (Marsaglia, 1964), or a draw
    near a layer's curved edge (kept if under the density, else a fresh draw)."""
    while True:
        if layer == 0:
            while True:
                xx = -np.log(uniform(rng)) / NORMAL_R
                yy = -np.log(uniform(rng))
                if yy + yy > xx * xx:
                    return -(NORMAL_R + xx) if negative else NORMAL_R + xx
        if (NORMAL_F[layer - 1] - NORMAL_F[layer]) * uniform(rng) + NORMAL_F[layer] < np.exp(-0.5 * x * x):
            return x
        word = next_word(rng) >> uint64(3)
        layer = int64(word & uint64(0xFF))
        negative = (word >> uint64(8)) & uint64(1) != 0
        word = word >> uint64(9)
        x = float(word) * NORMAL_W[layer]
        if negative:
            x = -x
        if word < NORMAL_K[layer]:
            return x


@kernel(inline="always")
def normal(rng):
    """A standard normal number (ziggurat: layer, sign and 52-bit value from one draw)."""
    word = next_word(rng) >> uint64(3)
    layer = int64(word & uint64(0xFF))
    negative = (word >> uint64(8)) & uint64(1) != 0
    word = word >> uint64(9)
    x = float(word) * NORMAL_W[layer]
    if negative:
        x = -x
    if word < NORMAL_K[layer]:
        return x
    return _normal_edge(rng, layer, x, negative)


@kernel()
def gamma(rng, shape, scale):
    """A gamma number (Marsaglia and Tsang; shapes below 1 boosted by U^(1/shape))."""
    boost = 1.0
    if shape < 1.0:
        boost = uniform(rng) ** (1.0 / shape)
        shape += 1.0
    d = shape - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    while True:
        x = normal(rng)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = uniform(rng)
        if np.log(u) < 0.5 * x * x + d - d * v + d * np.log(v):
            return d * v * scale * boost
