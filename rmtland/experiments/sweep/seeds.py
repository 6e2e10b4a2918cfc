"""Sweep seeds: every point's seed and file key from the sweep seed, the kind and the point's
parameters alone (:func:`point_seed`), so that a point's numbers depend on nothing else: not
on the runner, the number of workers or the order of completion.

References
----------
M. E. O'Neill et al., NumPy ``SeedSequence`` (NEP 19): spawn keys give independent streams.
"""
import hashlib
import json

from ... import _seeds, _validate

__all__ = ["point_seed", "point_key", "canonical", "sha256"]


def canonical(obj):
    """The canonical JSON text of ``obj`` (sorted keys, no spaces, no NaN)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def sha256(obj):
    """The SHA-256 hex digest of :func:`canonical` ``(obj)``."""
    return hashlib.sha256(canonical(obj).encode()).hexdigest()


def point_seed(sweep_seed, kind, params, replicate):
    r"""The 64-bit seed of one point: ``SeedSequence(sweep_seed)`` spawned along the key
    ``(w0, w1, w2, w3, replicate)`` (:func:`rmtland._seeds.child`, one level per word), with
    ``w0..w3`` the first four big-endian 32-bit words of
    ``sha256(canonical JSON {"kind": kind, "params": params})``, reduced to an int by
    :func:`rmtland._seeds.key_of` (``(k1 << 32) | k0``)."""
    digest = hashlib.sha256(canonical({"kind": kind, "params": params}).encode()).digest()
    ss = _seeds.seed_sequence(_validate.integer("seed", sweep_seed, 0))
    for w in [int.from_bytes(digest[4 * i:4 * i + 4], "big") for i in range(4)] + [replicate]:
        ss = _seeds.child(ss, w)
    k0, k1 = _seeds.key_of(ss)
    return (k1 << 32) | k0


def point_key(kind, params, seed):
    """A point's file key: the first 24 hex digits of :func:`sha256` of its kind, parameters
    and seed (``DIR/points/<key>.json``)."""
    return sha256({"kind": kind, "params": params, "seed": seed})[:24]
