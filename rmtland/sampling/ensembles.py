r"""Batched random-matrix ensembles on the CPU (NumPy) or a GPU (CuPy), one code path.

Every sampler returns a stack of shape ``(batch, n, n)`` and has a generator twin
``iter_*_chunks`` that yields the same matrices in chunks of at most ``chunk`` matrices,
so a batch larger than memory can be processed piece by piece.

Seeds and chunks
----------------
Each call turns ``rng`` into **one** :class:`numpy.random.SeedSequence`
(:func:`rmtland._seeds.seed_sequence`), and the matrix at index ``j`` depends only on that
sequence and on ``j``, never on the chunk size: the same seed gives identical matrices for
``chunk = 1, 3, 16`` or the whole batch.

- NumPy: one child stream (PCG64) per fixed block of :data:`BLOCK` consecutive matrices (the
  child of block ``k`` is the sequence's ``k``-th spawn, :func:`rmtland._seeds.child`); inside
  a block the matrices are drawn one at a time, in order.
- CuPy: one counter-based Philox4x32-10 stream per call (:class:`rmtland._seeds.CounterStream`,
  64-bit key): matrix ``j`` reads the normals at counter offset ``j × (normals per matrix)``,
  so a chunk is one vectorised draw and no generator is created per block.

A NumPy and a CuPy run with the same seed therefore give *different* matrices (different
generators), each reproducible on its own backend.

Memory
------
Chunks are sized by :func:`rmtland.linalg.dense.plan_chunk` (see there); when even one matrix
cannot fit, a ``ValueError`` naming the parameter says so before anything is drawn.

References
----------
V. A. Marchenko, L. A. Pastur, "Distribution of eigenvalues for some sets of random
matrices", Math. USSR-Sb. 1, 457 (1967), doi:10.1070/SM1967v001n04ABEH001994.
E. P. Wigner, "On the distribution of the roots of certain symmetric matrices", Ann. Math.
67, 325 (1958), doi:10.2307/1970008.
I. Dumitriu, A. Edelman, "Matrix models for beta ensembles", J. Math. Phys. 43, 5830 (2002),
doi:10.1063/1.1507823, arXiv:math-ph/0206043.
"""
import math

import numpy as np

from .._validate import InputError
from .. import _seeds, _validate
from .._backend import array_namespace, get_xp
from ..linalg.dense import memory_budget, plan_chunk
from ..linalg.tridiagonal import eigvalsh_tridiagonal

__all__ = [
    "BLOCK", "sample_wishart", "iter_wishart_chunks", "sample_goe", "iter_goe_chunks",
    "sample_gue", "iter_gue_chunks", "sample_goe_tridiagonal", "MatrixSpec", "iter_spec",
    "check_spec", "check_sample_goe", "sample_spec", "gram", "symmetrize", "goe_eigenvalues",
    "wishart_eigenvalues", "laguerre_tridiagonal", "haar_orthogonal",
]

#: Matrices per child random stream. Fixed: changing it changes every seeded result.
BLOCK = 16
class MatrixSpec:
    """What one sampler draws per matrix (standard normals of the given ``shapes``) and how a
    chunk of draws becomes ``n × n`` matrices (``build``, which must return new arrays: the
    draw buffers are reused by the next chunk); ``blame`` names the parameters that set the
    size of one matrix, for the memory error."""

    def __init__(self, xp, n, real, out_dtype, shapes, build, blame="n"):
        self.xp, self.n, self.real, self.out_dtype = xp, n, np.dtype(real), np.dtype(out_dtype)
        self.shapes, self.build, self.blame = shapes, build, blame

    def bytes_per_matrix(self):
        """Working bytes per matrix, conservatively: the normal draws twice (buffer + one
        draw's temporary) plus four output-sized temporaries (product, transpose, sum,
        result)."""
        raw = sum(math.prod(s) for s in self.shapes) * self.real.itemsize
        return 2 * raw + 4 * self.n * self.n * self.out_dtype.itemsize


def iter_spec(spec, batch, rng, chunk, max_bytes):
    """Check memory and seed now, then return the generator of chunks of ``spec``'s
    matrices (the seeding rule of the module notes)."""
    xp = spec.xp
    chunk = plan_chunk(xp, spec.bytes_per_matrix(), batch, chunk, max_bytes, blame=spec.blame)
    ss = _seeds.seed_sequence(rng, xp)
    sizes = [math.prod(s) for s in spec.shapes]
    per_matrix = sum(sizes)

    def host_chunks():
        gen = None
        # the draw buffers are allocated once and reused by every chunk (a fresh allocation
        # per chunk costs page faults, measured by `rmtland bench sampling`)
        full = [xp.empty((chunk,) + s, dtype=spec.real) for s in spec.shapes]
        for start in range(0, batch, chunk):
            stop = min(start + chunk, batch)
            bufs = [b[:stop - start] for b in full]
            for j in range(start, stop):            # loop over matrices, not elements
                if j % BLOCK == 0:
                    gen = _seeds.generator(_seeds.child(ss, j // BLOCK), xp)
                for buf in bufs:
                    gen.standard_normal(dtype=spec.real, out=buf[j - start])
            yield spec.build(*bufs)

    def device_chunks():
        stream = _seeds.CounterStream(ss, xp)
        for start in range(0, batch, chunk):
            count = min(chunk, batch - start)
            raw = stream.normal(start * per_matrix, (count, per_matrix), dtype=spec.real.name)
            offsets = np.cumsum([0] + sizes)
            yield spec.build(*[raw[:, a:b].reshape((count,) + shape)
                               for a, b, shape in zip(offsets[:-1], offsets[1:], spec.shapes)])
    return host_chunks() if xp is np else device_chunks()


def check_spec(spec, batch, chunk=None, max_bytes=None):
    """The memory checks of :func:`sample_spec`, pure arithmetic (nothing is allocated).

    First the ``(batch, n, n)`` output, then one chunk's working memory
    (:func:`~rmtland.linalg.dense.plan_chunk`; with ``max_bytes``, within what the output
    leaves of it).  Raises :class:`InputError`."""
    max_bytes = _output_fits(spec, batch, max_bytes)
    plan_chunk(spec.xp, spec.bytes_per_matrix(), batch, chunk, max_bytes, blame=spec.blame)


def _output_fits(spec, batch, max_bytes):
    """The check of the ``(batch, n, n)`` output; returns the ``max_bytes`` it leaves for the
    chunks (None: the budget's)."""
    xp = spec.xp
    _, limit = memory_budget(xp, max_bytes)
    out_bytes = batch * spec.n * spec.n * spec.out_dtype.itemsize
    if out_bytes > limit:
        where = "the GPU" if xp is not np else "the host"
        raise InputError(f"batch={batch} matrices of size n={spec.n} need "
                         f"{out_bytes / 2**30:.3g} GiB, more than the {limit / 2**30:.3g} GiB "
                         f"available on {where}; use the iter_*_chunks generator or a "
                         f"smaller batch (or reduce {spec.blame})")
    if max_bytes is not None:
        max_bytes = max_bytes - out_bytes
        if max_bytes <= 0:
            raise InputError(f"max_bytes={max_bytes + out_bytes} leaves no room for the "
                             "working memory beside the output")
    return max_bytes


def sample_spec(spec, batch, rng, chunk, max_bytes):
    """All ``batch`` matrices of ``spec`` as one ``(batch, n, n)`` array (memory checked: the
    output here, the chunks by :func:`iter_spec`)."""
    xp = spec.xp
    max_bytes = _output_fits(spec, batch, max_bytes)
    out = xp.empty((batch, spec.n, spec.n), dtype=spec.out_dtype)
    start = 0
    for block in iter_spec(spec, batch, rng, chunk, max_bytes):
        out[start:start + block.shape[0]] = block
        start += block.shape[0]
    return out


def symmetrize(w, xp, hermitian=False):
    """``(W + W^T)/2`` (``W^*`` if hermitian): exactly symmetric, since ``a + b == b + a``."""
    wt = xp.swapaxes(w, -1, -2)
    return (w + (wt.conj() if hermitian else wt)) * 0.5


def gram(x, m, xp, hermitian=False):
    """``X X^T / m`` (``X X^* / m``), exactly symmetric.

    NumPy computes the product of a real matrix with its own transpose (a view of the same
    buffer) by BLAS ``?syrk``, which fills both triangles from one (exactly symmetric, half
    the flops of a product; asserted in ``tests/test_sampling_ensembles.py``), so there the
    product is only scaled, in place.  Otherwise (CuPy; the Hermitian case, whose conjugate
    is a new array) it is symmetrised, ``(W + W^*)/2``."""
    xt = xp.swapaxes(x, -1, -2)
    w = x @ (xt.conj() if hermitian else xt)
    if xp is np and not hermitian:
        w *= 1.0 / m
        return w
    return symmetrize(w * (1.0 / m), xp, hermitian)


# --------------------------------------------------------------------------- Wishart

def _wishart_spec(n, m, complex, dtype, device):
    n = _validate.integer("n", n, 1)
    m = _validate.integer("m", m, 1)
    real, cplx = _validate.float_dtypes(dtype)
    xp = get_xp(device)
    if complex:
        def build(a, b):
            return gram((a + 1j * b) * math.sqrt(0.5), m, xp, True)
        return MatrixSpec(xp, n, real, cplx, [(n, m), (n, m)], build)
    return MatrixSpec(xp, n, real, real, [(n, m)], lambda x: gram(x, m, xp, False))


def sample_wishart(n, m, *, batch=1, complex=False, dtype="float64", rng=None, device="cpu",
                   chunk=None, max_bytes=None):
    r"""Sample ``batch`` Wishart matrices :math:`W = X X^\top / m` (Marchenko–Pastur law).

    Parameters
    ----------
    n, m : int
        ``X`` has shape ``n × m``; the ratio is :math:`\phi = n/m`. Both ``>= 1``.
    batch : int, optional
        Number of matrices, ``>= 1``.
    complex : bool, optional
        If True, ``X`` is complex Gaussian with :math:`\mathbb{E}|X_{ij}|^2 = 1`
        (real and imaginary parts i.i.d. :math:`N(0, 1/2)`) and :math:`W = X X^* / m` is
        Hermitian (β = 2). Otherwise ``X`` is real N(0, 1) (β = 1).
    dtype : {"float64", "float32"}, optional
        Real precision; complex output is ``complex128``/``complex64``. float32 stays float32.
    rng : None, int, numpy.random.SeedSequence or Generator, optional
        Seed; see the module notes for how chunks stay reproducible.
    device : {"cpu", "gpu", "auto"}, optional
        ``"gpu"`` without a usable GPU raises ``RuntimeError``.
    chunk : int, optional
        Matrices generated at a time (default: chosen from memory). Does not change the
        result.
    max_bytes : float, optional
        Memory budget in bytes for this call (default: see the module notes).

    Returns
    -------
    W : array of shape ``(batch, n, n)``
        NumPy or CuPy array, exactly symmetric (Hermitian).

    Notes
    -----
    With :math:`X_{ij}` i.i.d. N(0, 1), :math:`\mathbb{E}\,\mathrm{tr}\,W/n = 1` and
    :math:`\mathbb{E}\,\mathrm{tr}\,W^2/n = 1 + \phi + 1/m` (real; :math:`1 + \phi` complex).
    As :math:`n, m \to \infty` with :math:`n/m \to \phi`, the spectrum tends to the
    Marchenko–Pastur law of ratio :math:`\phi`: mean 1, variance :math:`\phi`, support
    :math:`[(1-\sqrt\phi)^2, (1+\sqrt\phi)^2]`, plus an atom of mass :math:`1 - 1/\phi` at 0
    when :math:`\phi > 1` (Marchenko & Pastur, Math. USSR-Sb. 1, 457 (1967); the
    normalisation of DESIGN.md).
    """
    batch = _validate.integer("batch", batch, 1)
    return sample_spec(_wishart_spec(n, m, complex, dtype, device), batch, rng, chunk, max_bytes)


def iter_wishart_chunks(n, m, *, batch=1, complex=False, dtype="float64", rng=None,
                        device="cpu", chunk=None, max_bytes=None):
    r"""Yield the matrices of :func:`sample_wishart` in chunks of at most ``chunk``.

    The concatenation of the chunks equals ``sample_wishart`` with the same arguments,
    whatever ``chunk`` is. Each chunk has shape ``(c, n, n)``.
    """
    batch = _validate.integer("batch", batch, 1)
    return iter_spec(_wishart_spec(n, m, complex, dtype, device), batch, rng, chunk, max_bytes)


# --------------------------------------------------------------------------- GOE / GUE

def _wigner_spec(n, var, dtype, device, hermitian):
    n = _validate.integer("n", n, 1)
    sigma = math.sqrt(_validate.nonnegative("var", var))
    real, cplx = _validate.float_dtypes(dtype)
    xp = get_xp(device)
    if hermitian:
        # A = (a + i b)/sqrt(2) has E|A_ij|^2 = 1; H = sigma (A + A^*)/sqrt(2n).
        scale = sigma / math.sqrt(4.0 * n)

        def build(a, b):
            return symmetrize(a + 1j * b, xp, True) * (2.0 * scale)
        return MatrixSpec(xp, n, real, cplx, [(n, n), (n, n)], build)
    scale = sigma / math.sqrt(2.0 * n)

    def build(a):
        w = a + xp.swapaxes(a, -1, -2)
        w *= scale
        return w
    return MatrixSpec(xp, n, real, real, [(n, n)], build)


def sample_goe(n, *, batch=1, var=1.0, dtype="float64", rng=None, device="cpu", chunk=None,
               max_bytes=None):
    r"""Sample ``batch`` GOE matrices whose spectrum tends to the semicircle of variance ``var``.

    Parameters
    ----------
    n : int
        Matrix size, ``>= 1``.
    batch : int, optional
        Number of matrices, ``>= 1``.
    var : float, optional
        Variance :math:`\sigma^2 \ge 0` of the limiting semicircle (support
        :math:`[-2\sigma, 2\sigma]`).
    dtype, rng, device, chunk, max_bytes
        As in :func:`sample_wishart`.

    Returns
    -------
    H : array of shape ``(batch, n, n)``, exactly symmetric.

    Notes
    -----
    :math:`H = \sigma (A + A^\top)/\sqrt{2n}` with :math:`A_{ij}` i.i.d. N(0, 1), so
    :math:`\mathbb{E} H_{ij}^2 = \sigma^2/n` (:math:`i \ne j`), :math:`2\sigma^2/n` on the
    diagonal, and :math:`\mathbb{E}\,\mathrm{tr}\,H^2/n = \sigma^2 (1 + 1/n)`. The
    semicircle has :math:`R(g) = \sigma^2 g` (Wigner, Ann. Math. 67, 325 (1958); DESIGN.md).
    """
    batch = _validate.integer("batch", batch, 1)
    return sample_spec(_wigner_spec(n, var, dtype, device, False), batch, rng, chunk, max_bytes)


def check_sample_goe(n, *, batch=1, var=1.0, dtype="float64", device="cpu", chunk=None,
                     max_bytes=None):
    """The memory checks of :func:`sample_goe` with the same arguments (:func:`check_spec`),
    nothing allocated: a caller about to sample several sizes refuses them all first."""
    check_spec(_wigner_spec(n, var, dtype, device, False), _validate.integer("batch", batch, 1),
               chunk, max_bytes)


def iter_goe_chunks(n, *, batch=1, var=1.0, dtype="float64", rng=None, device="cpu",
                    chunk=None, max_bytes=None):
    """Yield the matrices of :func:`sample_goe` in chunks of at most ``chunk``."""
    batch = _validate.integer("batch", batch, 1)
    return iter_spec(_wigner_spec(n, var, dtype, device, False), batch, rng, chunk, max_bytes)


def sample_gue(n, *, batch=1, var=1.0, dtype="float64", rng=None, device="cpu", chunk=None,
               max_bytes=None):
    r"""Sample ``batch`` GUE matrices whose spectrum tends to the semicircle of variance ``var``.

    Parameters are those of :func:`sample_goe`; the result is complex Hermitian
    (``complex128``, or ``complex64`` for ``dtype="float32"``).

    Notes
    -----
    :math:`H = \sigma (A + A^*)/\sqrt{2n}` with :math:`A_{ij}` i.i.d. standard complex
    Gaussian (:math:`\mathbb{E}|A_{ij}|^2 = 1`), so :math:`\mathbb{E}|H_{ij}|^2 = \sigma^2/n`
    for every :math:`i, j` (real diagonal) and
    :math:`\mathbb{E}\,\mathrm{tr}\,H^2/n = \sigma^2` exactly.
    """
    batch = _validate.integer("batch", batch, 1)
    return sample_spec(_wigner_spec(n, var, dtype, device, True), batch, rng, chunk, max_bytes)


def iter_gue_chunks(n, *, batch=1, var=1.0, dtype="float64", rng=None, device="cpu",
                    chunk=None, max_bytes=None):
    """Yield the matrices of :func:`sample_gue` in chunks of at most ``chunk``."""
    batch = _validate.integer("batch", batch, 1)
    return iter_spec(_wigner_spec(n, var, dtype, device, True), batch, rng, chunk, max_bytes)


# --------------------------------------------------------------------------- tridiagonal GOE

def _tridiagonal_draw(N, batch, var, dtype, gen, xp):
    """(diag, offdiag) of ``batch`` tridiagonal GOE matrices from the Generator ``gen``."""
    scale = math.sqrt(2.0 * var / N)                     # sqrt(2 sigma^2 / N)
    # Dumitriu-Edelman, beta = 1: diag N(0, 2)/sqrt2 = N(0, 1); offdiag chi_{N-j}/sqrt2.
    diag = gen.standard_normal((batch, N), dtype=np.float64)
    df = xp.arange(N - 1, 0, -1, dtype=np.float64)       # N-1, ..., 1
    chi2 = 2.0 * gen.standard_gamma(xp.broadcast_to(df / 2.0, (batch, N - 1)))
    offdiag = xp.sqrt(chi2 / 2.0)
    diag = (diag * scale).astype(dtype, copy=False)
    offdiag = (offdiag * scale).astype(dtype, copy=False)
    return diag, offdiag


def sample_goe_tridiagonal(N, *, batch, rng=None, device="cpu", var=0.5, dtype="float64"):
    r"""Sample ``batch`` tridiagonal matrices whose eigenvalues have the GOE law with
    :math:`\mathbb E M_{ij}^2 = \sigma^2(1+\delta_{ij})/N` (Dumitriu & Edelman 2002, Thm. 2.12,
    β = 1).

    Parameters
    ----------
    N : int
        Matrix size, ``>= 2``.
    batch : int
        Number of matrices, ``>= 1``.
    rng : None, int, numpy.random.SeedSequence or Generator, optional
        Random source (:func:`rmtland._seeds.generator`: a Generator of the device's backend
        is used as is, so successive calls with one Generator continue its stream).
    device : {"cpu", "gpu", "auto"}, optional
        Where the arrays live.
    var : float, optional
        Semicircle variance :math:`\sigma^2 > 0`; the default 1/2 is the ABC13 normalisation
        :math:`\mathbb E M_{ij}^2 = (1+\delta_{ij})/(2N)`, support :math:`[-\sqrt2, \sqrt2]`.
    dtype : {"float64", "float32"}, optional

    Returns
    -------
    diag : array of shape ``(batch, N)``
        Diagonal, i.i.d. :math:`N(0, 2\sigma^2/N)`.
    offdiag : array of shape ``(batch, N - 1)``
        Off-diagonal, entry ``j`` (0-based) distributed as
        :math:`\sqrt{\sigma^2/N}\,\chi_{N-1-j}` (non-negative).

    Notes
    -----
    Dumitriu & Edelman (2002), Thm. 2.12 (β = 1): the symmetric tridiagonal matrix with
    independent diagonal :math:`N(0, 2)/\sqrt2` and off-diagonal :math:`\chi_{(N-j)}/\sqrt2`
    (:math:`j = 1..N-1`) has the eigenvalue law of the GOE :math:`(A + A^\top)/2`,
    :math:`A_{ij}` i.i.d. N(0, 1); multiplying by :math:`\sqrt{2\sigma^2/N}` gives the GOE with
    :math:`\mathbb E M_{ij}^2 = \sigma^2(1+\delta_{ij})/N` (semicircle of variance
    :math:`\sigma^2`, DESIGN.md).
    :math:`\mathbb E\,\mathrm{tr}\,M^2 = \sum_i \mathbb E d_i^2 + 2\sum_j \mathbb E e_j^2
    = 2\sigma^2 + \sigma^2 (N-1) = \sigma^2(N+1)`, equal to the dense GOE's
    :math:`N\cdot 2\sigma^2/N + N(N-1)\sigma^2/N`.
    """
    N = _validate.integer("N", N, 2)
    batch = _validate.integer("batch", batch, 1)
    var = _validate.positive("var", var)
    real, _ = _validate.float_dtypes(dtype)
    xp = get_xp(device)
    gen = _seeds.generator(rng, xp)
    return _tridiagonal_draw(N, batch, var, real, gen, xp)


# --------------------------------------------------------------------------- spectra only

def goe_eigenvalues(n, *, batch=1, var=1.0, rng=None, device="cpu", dtype="float64"):
    r"""Eigenvalues of ``batch`` GOE matrices of the law of :func:`sample_goe` (semicircle of
    variance ``var``), without forming them: the Dumitriu–Edelman tridiagonal model
    (:func:`sample_goe_tridiagonal`) and a tridiagonal eigensolver
    (:func:`rmtland.linalg.tridiagonal.eigvalsh_tridiagonal`), :math:`O(n^2)` per matrix
    against :math:`O(n^3)`.  Returns ``(batch, n)``, ascending, on the device.

    The same law as ``eigvalsh_batched(sample_goe(...))``, not the same numbers (different
    draws); ``tests/test_sampling_ensembles.py`` compares the two by two-sample KS tests.
    """
    n = _validate.integer("n", n, 2)
    d, e = sample_goe_tridiagonal(n, batch=batch, rng=rng, device=device,
                                  var=_validate.positive("var", var), dtype=dtype)
    return eigvalsh_tridiagonal(d, e)


def laguerre_tridiagonal(n, m, *, batch=1, rng=None, device="cpu", dtype="float64", pad=True):
    r"""``(diag, offdiag)`` of ``batch`` symmetric tridiagonal matrices whose eigenvalues have
    the law of those of :math:`XX^\top/m`, ``X`` ``n × m`` i.i.d. N(0, 1) (Dumitriu & Edelman
    2002, Thm. 3.4, β = 1; notes of :func:`wishart_eigenvalues`), shapes ``(batch, n)`` and
    ``(batch, n - 1)``.

    With :math:`k = \min(n, m)`, :math:`K = \max(n, m)`, the lower bidiagonal ``B`` (diagonal
    :math:`\chi_K, \dots, \chi_{K-k+1}`, subdiagonal :math:`\chi_{k-1}, \dots, \chi_1`) gives
    :math:`BB^\top/m` (diagonal :math:`(d_i^2 + c_{i-1}^2)/m`, off-diagonal :math:`c_i d_i/m`);
    for :math:`n > m` it is padded with :math:`n - m` zero rows and columns (the exact zeros
    of :math:`XX^\top`), or, with ``pad=False``, returned as the ``k × k`` block.  :math:`O(n)`
    numbers against the :math:`nm` of ``X``.
    """
    n = _validate.integer("n", n, 1)
    m = _validate.integer("m", m, 1)
    batch = _validate.integer("batch", batch, 1)
    real, _ = _validate.float_dtypes(dtype)
    xp = get_xp(device)
    gen = _seeds.generator(rng, xp)
    k, K = min(n, m), max(n, m)
    size = n if pad else k
    d2 = 2.0 * gen.standard_gamma(xp.broadcast_to(
        xp.arange(K, K - k, -1, dtype=np.float64) / 2.0, (batch, k)))      # chi^2_{K-i}
    diag = xp.zeros((batch, size))
    off = xp.zeros((batch, max(size - 1, 0)))
    diag[:, :k] = d2
    if k > 1:
        c2 = 2.0 * gen.standard_gamma(xp.broadcast_to(
            xp.arange(k - 1, 0, -1, dtype=np.float64) / 2.0, (batch, k - 1)))  # chi^2_{k-1-i}
        diag[:, 1:k] += c2
        off[:, :k - 1] = xp.sqrt(c2 * d2[:, :-1])
    return (diag / m).astype(real, copy=False), (off / m).astype(real, copy=False)


def wishart_eigenvalues(n, m, *, batch=1, rng=None, device="cpu", dtype="float64"):
    r"""Eigenvalues of ``batch`` real Wishart matrices :math:`W = XX^\top/m`, ``X`` of shape
    ``n × m`` with i.i.d. N(0, 1) entries (the law of :func:`sample_wishart`), without forming
    them: the Dumitriu–Edelman bidiagonal Laguerre model.  Returns ``(batch, n)``, ascending.

    Notes
    -----
    Dumitriu & Edelman (2002), Thm. 3.4 (β = 1): with :math:`k = \min(n, m)` and
    :math:`K = \max(n, m)`, the lower bidiagonal :math:`B` with diagonal
    :math:`\chi_K, \chi_{K-1}, \dots, \chi_{K-k+1}` and subdiagonal
    :math:`\chi_{k-1}, \dots, \chi_1` (independent) has :math:`BB^\top` distributed as the
    eigenvalues of the :math:`k \times k` Wishart matrix with :math:`K` degrees of freedom.
    :math:`XX^\top` and :math:`X^\top X` share their nonzero eigenvalues, so for
    :math:`n > m` (:math:`\varphi > 1`) the other :math:`n - m` eigenvalues are exactly 0, the
    atom of mass :math:`1 - 1/\varphi` of the Marchenko–Pastur law.  :math:`BB^\top` is
    tridiagonal with diagonal :math:`d_i^2 + c_{i-1}^2` and off-diagonal :math:`c_i d_i`;
    :math:`\mathbb E\,\mathrm{tr}\,BB^\top = \sum_i (K-i) + \sum_i (k-1-i) = kK`, the
    Wishart's.  Cost :math:`O(k^2)` per matrix against :math:`O(n^2 m)` to form :math:`W`.

    References
    ----------
    I. Dumitriu, A. Edelman, "Matrix models for beta ensembles", J. Math. Phys. 43, 5830
    (2002), doi:10.1063/1.1507823, arXiv:math-ph/0206043.
    """
    n = _validate.integer("n", n, 1)
    m = _validate.integer("m", m, 1)
    real, _ = _validate.float_dtypes(dtype)
    diag, off = laguerre_tridiagonal(n, m, batch=batch, rng=rng, device=device, pad=False)
    xp = array_namespace(diag)
    lam = eigvalsh_tridiagonal(diag, off)
    if n > m:                                    # the n - m exact zeros of XX^T
        lam = xp.concatenate([xp.zeros((lam.shape[0], n - m)), lam], axis=1)
        lam = xp.sort(lam, axis=1)
    return lam.astype(real, copy=False)


# --------------------------------------------------------------------------- Haar rotations

def haar_orthogonal(n, *, batch=None, rng=None, device="cpu"):
    r"""Haar-distributed orthogonal matrices :math:`Q \in O(n)`.

    QR factorisation :math:`Z = QR` of a matrix :math:`Z` of i.i.d. N(0, 1) entries, then the
    sign fix :math:`Q \leftarrow Q\,\mathrm{diag}(\mathrm{sign}\,R_{jj})`, which makes the
    factorisation unique (:math:`R_{jj} > 0`) and hence :math:`Q` exactly Haar (Mezzadri 2007,
    Sec. 5).  Without it LAPACK's Householder QR returns, e.g., :math:`Q_{11} < 0` always.

    Parameters
    ----------
    n : int
        Size, ``>= 1``.
    batch : int, optional
        Number of matrices; ``None`` (default) returns one ``(n, n)`` matrix, an int a
        ``(batch, n, n)`` stack.
    rng : None, int, SeedSequence or Generator
        Seed (:mod:`rmtland._seeds`).
    device : {"cpu", "gpu", "auto"}, optional

    Returns
    -------
    array (NumPy or CuPy)
        Orthogonal to rounding: :math:`\|Q^\top Q - I\|_{\max} \lesssim 10^{-15}\sqrt n`.

    References
    ----------
    .. [1] F. Mezzadri, "How to generate random matrices from the classical compact groups",
       Notices Amer. Math. Soc. 54(5), 592–604 (2007), arXiv:math-ph/0609050. Sec. 5: QR with
       the diagonal of R made positive.
    """
    n = _validate.integer("n", n, 1)
    shape = (n, n) if batch is None else (_validate.integer("batch", batch, 1), n, n)
    xp = get_xp(device)
    gen = _seeds.generator(rng, xp)
    z = gen.standard_normal(shape, dtype=np.float64).reshape(-1, n, n)
    out = xp.empty_like(z)
    for i in range(z.shape[0]):        # one LAPACK call per matrix (the stacked gufunc was
        q, r = xp.linalg.qr(z[i])      # up to 20x slower under a loaded OpenBLAS, measured)
        d = xp.sign(xp.diagonal(r))
        out[i] = q * xp.where(d == 0, 1.0, d)
    return out.reshape(shape)
