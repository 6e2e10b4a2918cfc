r"""Random Pennington–Bahri Hessians :math:`H = H_0 + H_1`: a Wishart (Gauss–Newton) part plus
an independent GOE (residual) part, batched and xp-generic, with the seeding and chunking rules
of :mod:`rmtland.sampling.ensembles`.

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
Theory", ICML 2017, PMLR 70:2798–2806 (PB17), Sec. 3.
"""
import math

import numpy as np

from .._validate import InputError
from .. import _seeds, _validate
from .._backend import get_xp
from ..linalg.dense import require_memory
from ..linalg.operators import Operator, sum_operator, tridiagonal_operator
from .ensembles import (MatrixSpec, check_spec, gram, iter_spec, laguerre_tridiagonal,
                        sample_spec)

__all__ = ["hessian_m", "sample_hessian", "check_sample_hessian", "iter_hessian_chunks",
           "wishart_operator", "wigner_operator", "hessian_operator", "WIGNER_MODES",
           "HESSIAN_MODELS", "TILE"]


def hessian_m(n, phi):
    """Width ``m = round(n / phi)`` of the Gauss–Newton factor; ``ValueError`` if ``m < 1``."""
    n = _validate.integer("n", n, 1)
    phi = _validate.positive("phi", phi)
    m = round(n / phi)
    if m < 1:
        raise InputError(f"phi={phi!r} is too large for n={n}: m = round(n/phi) = {m} < 1; "
                         f"the allowed range is 0 < phi < {2 * n}")
    return m


def _hessian_spec(n, phi, eps, dtype, device):
    m = hessian_m(n, phi)
    n = int(n)
    eps = _validate.nonnegative("eps", eps)
    real, _ = _validate.float_dtypes(dtype)
    xp = get_xp(device)
    scale = math.sqrt(2.0 * eps) / math.sqrt(2.0 * n)       # sigma / sqrt(2n), sigma^2 = 2 eps

    def build(x, a):
        h = gram(x, m, xp)
        w = a + xp.swapaxes(a, -1, -2)
        w *= scale
        h += w
        return h
    return MatrixSpec(xp, n, real, real, [(n, m), (n, n)], build,
                      blame=f"n or raise phi (one matrix draws an n x m = {n} x "
                            f"{m if m < 10 ** 9 else format(m, '.3g')} factor, m = round(n/phi))")


def sample_hessian(n, phi, eps, *, batch=1, dtype="float64", rng=None, device="cpu",
                   chunk=None, max_bytes=None):
    r"""Sample ``batch`` Pennington–Bahri random Hessians :math:`H = H_0 + H_1`.

    Parameters
    ----------
    n : int
        Matrix size (number of parameters), ``>= 1``.
    phi : float
        Ratio :math:`\phi > 0`. The Wishart factor uses :math:`m = \mathrm{round}(n/\phi)`
        columns (``m >= 1`` is required), so the **realised** ratio is ``n/m``, which
        differs from ``phi`` when ``n/phi`` is not an integer; compare with theory at ``n/m``
        (see :func:`hessian_m`).
    eps : float
        Loss :math:`\epsilon \ge 0`; the Wigner part has semicircle variance
        :math:`\sigma^2 = 2\epsilon`.
    batch, dtype, rng, device, chunk, max_bytes
        As in :func:`sample_wishart`.

    Returns
    -------
    H : array of shape ``(batch, n, n)``, exactly symmetric.

    Notes
    -----
    :math:`H_0 = X X^\top/m` (:func:`sample_wishart`, Marchenko–Pastur of ratio ``n/m``) and
    :math:`H_1` GOE of variance :math:`2\epsilon` (:func:`sample_goe`), independent; free in
    the limit, so the R-transforms add: :math:`R(g) = 1/(1 - \phi g) + 2\epsilon g`
    (Pennington & Bahri, ICML 2017, Sec. 3; DESIGN.md). Exact finite-n moments:
    :math:`\mathbb{E}\,\mathrm{tr}H/n = 1`,
    :math:`\mathbb{E}\,\mathrm{tr}H^2/n = 1 + n/m + 1/m + 2\epsilon(1 + 1/n)`.
    """
    batch = _validate.integer("batch", batch, 1)
    return sample_spec(_hessian_spec(n, phi, eps, dtype, device), batch, rng, chunk, max_bytes)


def check_sample_hessian(n, phi, eps, *, batch=1, dtype="float64", device="cpu", chunk=None,
                         max_bytes=None):
    """The memory checks of :func:`sample_hessian` with the same arguments
    (:func:`rmtland.sampling.ensembles.check_spec`), nothing allocated."""
    check_spec(_hessian_spec(n, phi, eps, dtype, device), _validate.integer("batch", batch, 1),
               chunk, max_bytes)


def iter_hessian_chunks(n, phi, eps, *, batch=1, dtype="float64", rng=None, device="cpu",
                        chunk=None, max_bytes=None):
    r"""Yield the matrices of :func:`sample_hessian` in chunks of at most ``chunk``.

    The concatenation equals ``sample_hessian(n, phi, eps, ...)`` with the same ``rng``,
    whatever ``chunk`` is; only one chunk is in memory at a time.

    Examples
    --------
    >>> from rmtland.sampling import iter_hessian_chunks
    >>> from rmtland.linalg import count_negative
    >>> index = [count_negative(h) for h in iter_hessian_chunks(100, 0.5, 0.1, batch=8,
    ...                                                        rng=1, chunk=3)]
    """
    batch = _validate.integer("batch", batch, 1)
    return iter_spec(_hessian_spec(n, phi, eps, dtype, device), batch, rng, chunk, max_bytes)


# --------------------------------------------------------------------------- operators

#: how the Wigner part is kept: the full matrix, its upper tiles (half the memory), or none
#: (each tile regenerated from the counter-based stream at every product)
WIGNER_MODES = ("dense", "stored", "regenerated")
#: "full": H0 = X X^T / m from the factor X; "laguerre": the exact distributional shortcut
HESSIAN_MODELS = ("full", "laguerre")
#: default tile size of the Wigner part and column block of a regenerated Wishart factor
TILE = 2048


def _tile_draw(rng, xp, stride, real):
    """``draw(p, shape)``: the standard normals of tile ``p`` (at most ``stride`` of them), a
    pure function of (seed, p), so a tile can be kept or redrawn at will.  The seeding rule of
    :mod:`rmtland.sampling.ensembles`: on NumPy the ``p``-th child stream (PCG64) of the
    call's ``SeedSequence``; on CuPy one counter-based stream
    (:class:`rmtland._seeds.CounterStream`), tile ``p`` at counter offset ``p * stride``."""
    ss = _seeds.seed_sequence(rng, xp)
    if xp is np:
        return lambda p, shape: _seeds.generator(_seeds.child(ss, p)).standard_normal(
            shape, dtype=real)
    stream = _seeds.CounterStream(ss, xp)
    return lambda p, shape: stream.normal(p * stride, shape, dtype=real.__name__)


def wishart_operator(n, m, *, rng=None, dtype="float64", device="cpu", store=True,
                     block=TILE):
    r"""The Gauss–Newton part :math:`H_0 V = X (X^\top V)/m` as an operator, never formed.

    ``X`` (``n × m``, i.i.d. N(0, 1)) is drawn ``block`` columns at a time, block ``j`` a
    pure function of (seed, j) (:func:`_tile_draw`: a child stream per block on NumPy, the
    counter-based stream on CuPy).  ``store=True`` keeps ``X`` (``n m`` numbers: at ``n = 10^5``,
    :math:`\varphi = 1/2` that is :math:`2\cdot 10^{10}`, 80 GB in float32);
    ``store=False`` regenerates ``block`` columns at a time at every product (memory
    :math:`O(n \cdot \text{block})`, cost :math:`nm` normals per product), with the same
    ``X`` for the same seed, so the two give the same products up to summation order.
    """
    n = _validate.integer("n", n, 1)
    m = _validate.integer("m", m, 1)
    block = _validate.integer("block", block, 1)
    real, _ = _validate.float_dtypes(dtype)
    xp = get_xp(device)
    draw = _tile_draw(rng, xp, block * n, real)

    def columns(j):                          # Y_j = rows j*block.. of Y = X^T
        return draw(j, (min(block, m - j * block), n))
    nb = -(-m // block)
    if store:
        require_memory(xp, n * m * np.dtype(real).itemsize, "n or raise phi",
                       f"the stored Wishart factor X ({n} x {m})")
        Y = xp.concatenate([columns(j) for j in range(nb)])

        def matvec(V):
            out = Y.T @ (Y @ V)
            out *= 1.0 / m
            return out
    else:
        def matvec(V):
            out = xp.zeros(V.shape, dtype=real)
            for j in range(nb):
                Yj = columns(j)
                out += Yj.T @ (Yj @ V)
            out *= 1.0 / m
            return out
    return Operator(n, matvec, real, xp, name=f"wishart({'stored' if store else 'regenerated'})")


def wigner_operator(n, var, *, rng=None, dtype="float64", device="cpu", mode="stored",
                    tile=TILE):
    r"""A GOE matrix of the law of :func:`rmtland.sampling.sample_goe` (semicircle of variance
    ``var``) as an operator, in tiles, each a pure function of (seed, tile).

    With ``t = tile`` and tiles :math:`(I, J)`, :math:`I \le J`, of the ``ceil(n/t)``-square
    tiling, tile :math:`(I, J)` is tile :math:`p = I \lceil n/t\rceil + J` of
    :func:`_tile_draw` (a child stream per tile on NumPy; on CuPy the counter-based stream at
    offset :math:`p\,t^2`): off-diagonal tiles are
    :math:`W_{IJ} = \sigma A_{IJ}/\sqrt n` (and :math:`W_{JI} = W_{IJ}^\top`), diagonal
    tiles :math:`\sigma (A + A^\top)/\sqrt{2n}`, so :math:`\mathbb E W_{ij}^2 =
    \sigma^2(1 + \delta_{ij})/n`, the GOE of ``sample_goe`` in law.  ``mode``:
    ``"dense"`` keeps the full matrix (:math:`n^2` numbers), ``"stored"`` its upper tiles
    (about :math:`n^2/2`, products by tile GEMMs), ``"regenerated"`` nothing (every product
    redraws :math:`n^2/2` normals: for a GPU, where drawing is cheap against memory).  The
    three give the same matrix for the same seed.
    """
    n = _validate.integer("n", n, 1)
    sigma = math.sqrt(_validate.nonnegative("var", var))
    tile = min(_validate.integer("tile", tile, 1), n)
    if mode not in WIGNER_MODES:
        raise InputError(f"mode must be one of {WIGNER_MODES}, got {mode!r}")
    real, _ = _validate.float_dtypes(dtype)
    xp = get_xp(device)
    draw = _tile_draw(rng, xp, tile * tile, real)
    T = -(-n // tile)
    off, diag = sigma / math.sqrt(n), sigma / math.sqrt(2.0 * n)
    item = np.dtype(real).itemsize

    def block(I, J):
        rows, cols = min(tile, n - I * tile), min(tile, n - J * tile)
        A = draw(I * T + J, (rows, cols))
        if I == J:
            A = A + A.T
            A *= diag
            return A
        A *= off
        return xp.ascontiguousarray(A)

    def pairs():                      # the upper tiles, lazily: T(T+1)/2 of them
        return ((I, J) for I in range(T) for J in range(I, T))
    if mode == "dense":
        require_memory(xp, n * n * item, "n", f"the dense Wigner part ({n} x {n})")
        W = xp.empty((n, n), dtype=real)
        for I, J in pairs():
            B = block(I, J)
            W[I * tile:I * tile + B.shape[0], J * tile:J * tile + B.shape[1]] = B
            if I != J:
                W[J * tile:J * tile + B.shape[1], I * tile:I * tile + B.shape[0]] = B.T
        return Operator(n, lambda V: W @ V, real, xp, name="wigner(dense)")
    if mode == "stored":
        count = T * (T + 1) // 2
        require_memory(xp, count * tile * tile * item, "n",
                       f"the stored Wigner tiles ({count} of {tile} x {tile})")
        tiles = {p: block(*p) for p in pairs()}
        get = tiles.__getitem__
    else:
        def get(p):
            return block(*p)

    def matvec(V):
        out = xp.zeros(V.shape, dtype=real)
        for I, J in pairs():
            B = get((I, J))
            sI, sJ = slice(I * tile, I * tile + B.shape[0]), slice(J * tile, J * tile + B.shape[1])
            out[sI] += B @ V[sJ]
            if I != J:
                out[sJ] += B.T @ V[sI]
        return out
    return Operator(n, matvec, real, xp, name=f"wigner({mode})")


def hessian_operator(n, phi, eps, *, rng=None, dtype="float64", device="cpu",
                     model="laguerre", wigner="stored", store=True, tile=TILE):
    r"""A Pennington–Bahri Hessian :math:`H = H_0 + H_1` (the law of :func:`sample_hessian`)
    as an operator, for the estimators of :mod:`rmtland.linalg.spectral`.

    Parameters
    ----------
    n, phi, eps
        As in :func:`sample_hessian` (:math:`m = \mathrm{round}(n/\varphi)`).
    model : {"laguerre", "full"}
        ``"full"``: :math:`H_0 = XX^\top/m` (:func:`wishart_operator`, ``X`` kept when
        ``store``, else regenerated at every product) plus :math:`H_1`
        (:func:`wigner_operator`).  ``"laguerre"`` (the exact distributional shortcut):
        the tridiagonal Laguerre matrix :math:`T` of :func:`laguerre_tridiagonal` plus
        :math:`H_1`.
    wigner : {"stored", "dense", "regenerated"}
        How :math:`H_1` is kept (:func:`wigner_operator`).
    rng : seed; children 0, 1, 2 of its ``SeedSequence`` draw ``X``, :math:`H_1` and
        :math:`T`.

    Notes
    -----
    *The shortcut is exact in law.*  Let :math:`H_0 = Q\Lambda Q^\top` and let :math:`W` be a
    GOE matrix independent of :math:`H_0`.  The GOE is orthogonally invariant
    (:math:`OWO^\top \sim W` for every fixed orthogonal :math:`O`; Mehta, *Random Matrices*,
    3rd ed., Elsevier 2004, Sec. 2.5), so conditionally on :math:`H_0`,
    :math:`Q^\top(H_0 + W)Q = \Lambda + Q^\top W Q \sim \Lambda + W`: the spectrum of
    :math:`H_0 + W` has the law of that of :math:`\Lambda + W`, which depends on :math:`H_0`
    only through its eigenvalues.  The same argument with :math:`T = P\Lambda_T P^\top` shows
    that :math:`T + W` has that law whenever :math:`\mathrm{spec}\,T \sim \mathrm{spec}\,H_0`,
    which holds for the Laguerre tridiagonal (Dumitriu & Edelman, J. Math. Phys. 43, 5830
    (2002), doi:10.1063/1.1507823, Thm. 3.4).  So the spectrum of ``model="laguerre"`` has
    exactly the law of ``sample_hessian``'s at every finite ``n`` (not only as
    :math:`n \to \infty`), and ``X`` (:math:`nm` numbers) is never needed: memory is that of
    :math:`H_1` alone.  The eigenvectors differ; quantities that involve them (e.g. a
    network's gradient) are not covered.  ``tests/test_linalg_operators.py`` checks the law
    (two-sample KS tests on per-matrix statistics against ``sample_hessian``).
    """
    m = hessian_m(n, phi)
    eps = _validate.nonnegative("eps", eps)
    if model not in HESSIAN_MODELS:
        raise InputError(f"model must be one of {HESSIAN_MODELS}, got {model!r}")
    ss = _seeds.seed_sequence(rng)
    W = wigner_operator(n, 2.0 * eps, rng=_seeds.child(ss, 1), dtype=dtype, device=device,
                        mode=wigner, tile=tile)
    if model == "full":
        H0 = wishart_operator(n, m, rng=_seeds.child(ss, 0), dtype=dtype, device=device,
                              store=store, block=tile)
    else:
        d, e = laguerre_tridiagonal(n, m, rng=_seeds.child(ss, 2), dtype=dtype, device=device)
        H0 = tridiagonal_operator(d[0], e[0], name="laguerre")
    return sum_operator(H0, W)
