r"""Batched random-matrix ensembles on the CPU (NumPy) or a GPU (CuPy), one code path.

Every sampler returns a stack of shape ``(batch, n, n)`` and has a generator twin
``iter_*_chunks`` that yields the same matrices in chunks of at most ``chunk`` matrices,
so a batch larger than memory can be processed piece by piece.

Seeds and chunks
----------------
Each call builds **one** :class:`numpy.random.SeedSequence` from ``rng`` and derives one
child stream per fixed block of :data:`BLOCK` consecutive matrices (the child of block
``k`` is the sequence's ``k``-th spawn, computed without mutating the caller's sequence).
Inside a block the matrices are drawn one at a time, in order. The matrix at index ``j``
therefore depends only on the seed and on ``j``, never on the chunk size: the same seed
gives identical matrices for ``chunk = 1, 3, 16`` or the whole batch. A NumPy and a CuPy
run with the same seed give *different* matrices (different generators).

Memory
------
With ``chunk=None`` the chunk size is chosen from memory: on CuPy a fraction
:data:`GPU_FREE_FRACTION` of the free device memory (plus the blocks cached in CuPy's
memory pool); on the CPU a fixed budget of :data:`CPU_CHUNK_BYTES` per chunk, while a
single matrix may use up to half of the host's available memory. ``max_bytes`` overrides
both. When even one matrix cannot fit, a ``ValueError`` says so before anything is drawn.
"""
import math
import numbers
import os

import numpy as np

from .. import _validate
from .._backend import default_rng, get_xp, to_numpy

__all__ = [
    "BLOCK", "CPU_CHUNK_BYTES", "GPU_FREE_FRACTION",
    "sample_wishart", "iter_wishart_chunks",
    "sample_goe", "iter_goe_chunks",
    "sample_gue", "iter_gue_chunks",
    "sample_hessian", "iter_hessian_chunks", "hessian_m",
]

#: Matrices per child random stream. Fixed: changing it changes every seeded result.
BLOCK = 16
#: Bytes of working memory for one chunk on the CPU when ``max_bytes`` is not given.
CPU_CHUNK_BYTES = 1 << 30
#: Fraction of the free GPU memory that one chunk may use (safety factor for cuSOLVER
#: workspaces, the eigenvalue solver that follows, and fragmentation).
GPU_FREE_FRACTION = 0.5

_DTYPES = {"float64": (np.float64, np.complex128), "float32": (np.float32, np.complex64)}


# --------------------------------------------------------------------------- helpers

def _dtypes(dtype):
    """(real, complex) NumPy dtypes for ``dtype`` in {"float64", "float32"}."""
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in _DTYPES:
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return _DTYPES[name]


def _seed_sequence(rng, xp):
    """One SeedSequence for the whole call, from None, int, SeedSequence or Generator.

    A Generator (NumPy for NumPy, CuPy for CuPy) is advanced by four uniform draws that
    become the entropy of the sequence, so successive calls with one Generator differ.
    """
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator) or (xp is not np
                                                and isinstance(rng, xp.random.Generator)):
        generator = default_rng(rng, xp)    # TypeError for a NumPy Generator on CuPy
        entropy = (to_numpy(generator.random(4, dtype=np.float64)) * 2.0 ** 53)
        return np.random.SeedSequence([int(e) for e in entropy.astype(np.uint64)])
    if rng is not None and (isinstance(rng, bool) or not isinstance(rng, numbers.Integral)):
        raise TypeError("rng must be None, an int, a numpy.random.SeedSequence or a "
                        f"Generator, got {type(rng).__name__}")
    return np.random.SeedSequence(rng)


def _block_rng(ss, k, xp):
    """Generator for block ``k``: the ``k``-th spawn of ``ss``, without mutating ``ss``."""
    child = np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (k,),
                                   pool_size=ss.pool_size)
    return default_rng(child, xp)


def _host_available_bytes():
    """Available host memory in bytes (Linux MemAvailable), or None when unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _memory_budget(xp, max_bytes=None):
    """``(chunk_bytes, limit_bytes)``: target bytes per chunk and the most one call may use.

    On CuPy both are ``GPU_FREE_FRACTION`` × (free device memory + free blocks of CuPy's
    pool); on NumPy ``CPU_CHUNK_BYTES`` and half the available host memory. An explicit
    ``max_bytes`` sets both.
    """
    if max_bytes is not None:
        limit = _validate.positive("max_bytes", max_bytes)
        return limit, limit
    if xp is np:
        host = _host_available_bytes()
        return CPU_CHUNK_BYTES, (CPU_CHUNK_BYTES if host is None else max(CPU_CHUNK_BYTES,
                                                                           host // 2))
    free = xp.cuda.Device().mem_info[0] + xp.get_default_memory_pool().free_bytes()
    limit = GPU_FREE_FRACTION * free
    return limit, limit


def _plan_chunk(xp, bytes_per_matrix, batch, chunk=None, max_bytes=None, what="matrix"):
    """Number of matrices per chunk so that a chunk fits the memory budget.

    Raises ``ValueError`` when one matrix (or the requested ``chunk``) cannot fit.
    """
    soft, limit = _memory_budget(xp, max_bytes)
    where = "the GPU" if xp is not np else "the host"
    if bytes_per_matrix > limit:
        raise ValueError(f"one {what} needs about {bytes_per_matrix / 2**30:.3g} GiB of working "
                         f"memory, more than the {limit / 2**30:.3g} GiB available on {where}; "
                         "reduce n")
    if chunk is None:
        return int(max(1, min(batch, soft // bytes_per_matrix)))
    chunk = min(_validate.integer("chunk", chunk, 1), batch)
    if chunk * bytes_per_matrix > limit:
        raise ValueError(f"chunk={chunk} needs about {chunk * bytes_per_matrix / 2**30:.3g} GiB, "
                         f"more than the {limit / 2**30:.3g} GiB available on {where}; "
                         "use a smaller chunk or chunk=None")
    return chunk


class _Spec:
    """What one sampler draws per matrix and how a chunk of draws becomes matrices."""

    def __init__(self, xp, n, real, out_dtype, shapes, build):
        self.xp, self.n, self.real, self.out_dtype = xp, n, np.dtype(real), np.dtype(out_dtype)
        self.shapes, self.build = shapes, build

    def bytes_per_matrix(self):
        """Working bytes per matrix, conservatively: the normal draws twice (buffer + one
        draw's temporary) plus four output-sized temporaries (product, transpose, sum,
        result)."""
        raw = sum(math.prod(s) for s in self.shapes) * self.real.itemsize
        return 2 * raw + 4 * self.n * self.n * self.out_dtype.itemsize


def _iter(spec, batch, rng, chunk, max_bytes):
    """Check memory and seed now, then return the generator of chunks."""
    xp = spec.xp
    chunk = _plan_chunk(xp, spec.bytes_per_matrix(), batch, chunk, max_bytes)
    ss = _seed_sequence(rng, xp)

    def chunks():
        gen = None
        for start in range(0, batch, chunk):
            stop = min(start + chunk, batch)
            bufs = [xp.empty((stop - start,) + s, dtype=spec.real) for s in spec.shapes]
            for j in range(start, stop):            # loop over matrices, not elements
                if j % BLOCK == 0:
                    gen = _block_rng(ss, j // BLOCK, xp)
                for buf, shape in zip(bufs, spec.shapes):
                    buf[j - start] = gen.standard_normal(shape, dtype=spec.real)
            yield spec.build(*bufs)
    return chunks()


def _sample(spec, batch, rng, chunk, max_bytes):
    xp = spec.xp
    _, limit = _memory_budget(xp, max_bytes)
    out_bytes = batch * spec.n * spec.n * spec.out_dtype.itemsize
    if out_bytes > limit:
        where = "the GPU" if xp is not np else "the host"
        raise ValueError(f"batch={batch} matrices of size n={spec.n} need "
                         f"{out_bytes / 2**30:.3g} GiB, more than the {limit / 2**30:.3g} GiB "
                         f"available on {where}; use the iter_*_chunks generator or a "
                         "smaller batch")
    if max_bytes is not None:
        max_bytes = max_bytes - out_bytes
        if max_bytes <= 0:
            raise ValueError(f"max_bytes={max_bytes + out_bytes} leaves no room for the "
                             "working memory beside the output")
    out = xp.empty((batch, spec.n, spec.n), dtype=spec.out_dtype)
    start = 0
    for block in _iter(spec, batch, rng, chunk, max_bytes):
        out[start:start + block.shape[0]] = block
        start += block.shape[0]
    return out


def _sym(w, xp, hermitian):
    """``(W + W^T)/2`` (``W^*`` if hermitian): exactly symmetric, since ``a + b == b + a``."""
    wt = xp.swapaxes(w, -1, -2)
    return (w + (wt.conj() if hermitian else wt)) * 0.5


def _gram(x, m, xp, hermitian):
    """``X X^T / m`` (``X X^* / m``), symmetrised exactly."""
    xt = xp.swapaxes(x, -1, -2)
    return _sym((x @ (xt.conj() if hermitian else xt)) * (1.0 / m), xp, hermitian)


# --------------------------------------------------------------------------- Wishart

def _wishart_spec(n, m, complex, dtype, device):
    n = _validate.integer("n", n, 1)
    m = _validate.integer("m", m, 1)
    real, cplx = _dtypes(dtype)
    xp = get_xp(device)
    if complex:
        def build(a, b):
            return _gram((a + 1j * b) * math.sqrt(0.5), m, xp, True)
        return _Spec(xp, n, real, cplx, [(n, m), (n, m)], build)
    return _Spec(xp, n, real, real, [(n, m)], lambda x: _gram(x, m, xp, False))


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
    return _sample(_wishart_spec(n, m, complex, dtype, device), batch, rng, chunk, max_bytes)


def iter_wishart_chunks(n, m, *, batch=1, complex=False, dtype="float64", rng=None,
                        device="cpu", chunk=None, max_bytes=None):
    r"""Yield the matrices of :func:`sample_wishart` in chunks of at most ``chunk``.

    The concatenation of the chunks equals ``sample_wishart`` with the same arguments,
    whatever ``chunk`` is. Each chunk has shape ``(c, n, n)``.
    """
    batch = _validate.integer("batch", batch, 1)
    return _iter(_wishart_spec(n, m, complex, dtype, device), batch, rng, chunk, max_bytes)


# --------------------------------------------------------------------------- GOE / GUE

def _wigner_spec(n, var, dtype, device, hermitian):
    n = _validate.integer("n", n, 1)
    sigma = math.sqrt(_validate.nonnegative("var", var))
    real, cplx = _dtypes(dtype)
    xp = get_xp(device)
    if hermitian:
        # A = (a + i b)/sqrt(2) has E|A_ij|^2 = 1; H = sigma (A + A^*)/sqrt(2n).
        scale = sigma / math.sqrt(4.0 * n)

        def build(a, b):
            return _sym(a + 1j * b, xp, True) * (2.0 * scale)
        return _Spec(xp, n, real, cplx, [(n, n), (n, n)], build)
    scale = sigma / math.sqrt(2.0 * n)
    return _Spec(xp, n, real, real, [(n, n)],
                 lambda a: (a + xp.swapaxes(a, -1, -2)) * scale)


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
    return _sample(_wigner_spec(n, var, dtype, device, False), batch, rng, chunk, max_bytes)


def iter_goe_chunks(n, *, batch=1, var=1.0, dtype="float64", rng=None, device="cpu",
                    chunk=None, max_bytes=None):
    """Yield the matrices of :func:`sample_goe` in chunks of at most ``chunk``."""
    batch = _validate.integer("batch", batch, 1)
    return _iter(_wigner_spec(n, var, dtype, device, False), batch, rng, chunk, max_bytes)


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
    return _sample(_wigner_spec(n, var, dtype, device, True), batch, rng, chunk, max_bytes)


def iter_gue_chunks(n, *, batch=1, var=1.0, dtype="float64", rng=None, device="cpu",
                    chunk=None, max_bytes=None):
    """Yield the matrices of :func:`sample_gue` in chunks of at most ``chunk``."""
    batch = _validate.integer("batch", batch, 1)
    return _iter(_wigner_spec(n, var, dtype, device, True), batch, rng, chunk, max_bytes)


# --------------------------------------------------------------------------- Hessian

def hessian_m(n, phi):
    """Width ``m = round(n / phi)`` of the Gauss–Newton factor; ``ValueError`` if ``m < 1``."""
    n = _validate.integer("n", n, 1)
    phi = _validate.positive("phi", phi)
    m = round(n / phi)
    if m < 1:
        raise ValueError(f"phi={phi!r} is too large for n={n}: m = round(n/phi) = {m} < 1; "
                         f"the allowed range is 0 < phi < {2 * n}")
    return m


def _hessian_spec(n, phi, eps, dtype, device):
    m = hessian_m(n, phi)
    n = int(n)
    eps = _validate.nonnegative("eps", eps)
    real, _ = _dtypes(dtype)
    xp = get_xp(device)
    scale = math.sqrt(2.0 * eps) / math.sqrt(2.0 * n)       # sigma / sqrt(2n), sigma^2 = 2 eps

    def build(x, a):
        return _gram(x, m, xp, False) + (a + xp.swapaxes(a, -1, -2)) * scale
    return _Spec(xp, n, real, real, [(n, m), (n, n)], build)


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
    return _sample(_hessian_spec(n, phi, eps, dtype, device), batch, rng, chunk, max_bytes)


def iter_hessian_chunks(n, phi, eps, *, batch=1, dtype="float64", rng=None, device="cpu",
                        chunk=None, max_bytes=None):
    r"""Yield the matrices of :func:`sample_hessian` in chunks of at most ``chunk``.

    The concatenation equals ``sample_hessian(n, phi, eps, ...)`` with the same ``rng``,
    whatever ``chunk`` is; only one chunk is in memory at a time.

    Examples
    --------
    >>> from rmtland.sampling import iter_hessian_chunks, count_negative
    >>> index = [count_negative(h) for h in iter_hessian_chunks(100, 0.5, 0.1, batch=8,
    ...                                                        rng=1, chunk=3)]
    """
    batch = _validate.integer("batch", batch, 1)
    return _iter(_hessian_spec(n, phi, eps, dtype, device), batch, rng, chunk, max_bytes)
