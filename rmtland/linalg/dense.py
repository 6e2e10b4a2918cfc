r"""Dense linear algebra on stacks of symmetric matrices: batched spectra, inertia
(eigenvalue counts), and the memory planning that sizes every batched computation.

Functions take arrays of shape ``(batch, n, n)`` and follow their backend (NumPy or CuPy).
The solvers read the lower triangle only (``numpy.linalg.eigvalsh(..., UPLO="L")``), so the
input is checked once per call to be finite and symmetric to :data:`ASYMMETRY_RTOL`
(:func:`check_symmetric`: one pass, one device sync), and refused otherwise.

Failures are loud on both backends: NumPy raises ``numpy.linalg.LinAlgError``; CuPy does not
raise on cuSOLVER failures by default, so every solver call here runs under
:func:`rmtland._backend.linalg_errors` (``cupyx.errstate(linalg="raise")``) and its output
is checked for finiteness, which turns a silent NaN into the same ``LinAlgError``.

Memory
------
:func:`plan_chunk` chooses how many matrices a chunk holds: on CuPy a fraction
:data:`GPU_FREE_FRACTION` of the free device memory (plus the blocks cached in CuPy's
memory pool); on the CPU a fixed budget of :data:`CPU_CHUNK_BYTES` per chunk, while a
single item may use up to half of the host's available memory. ``max_bytes`` overrides
both. When even one item cannot fit, a ``ValueError`` naming the parameter that sets its
size says so before anything is computed.

Routing
-------
- :func:`eigvalsh_batched` on CuPy: ``cupy.linalg.eigvalsh`` on a 3-D stack uses the
  batched Jacobi solver (cuSOLVER syevj), fastest for small matrices but many times slower
  than the divide-and-conquer solver (syevd, used for 2-D input) at large n (DESIGN.md,
  measured on one H200: batched n=4096 0.82 s per matrix against 0.10 s for syevd). Stacks
  with ``n <= JACOBI_MAX_N`` go to the batched call; larger ones to a loop of 2-D calls.
- :func:`count_negative` / :func:`inertia` on the CPU (``n >= LDL_MIN_N``): Sylvester's
  law of inertia from an LDLᵀ (Bunch–Kaufman) factorisation, LAPACK ``?sytrf``/``?hetrf``
  through SciPy, which costs :math:`n^3/3` flops against :math:`4n^3/3` for the
  tridiagonal reduction of ``eigvalsh`` (3-5x faster here from n = 32 on). Smaller
  matrices, and CuPy arrays (CuPy has no ``sytrf``), count eigenvalues instead.
"""
import os
import time

import numpy as np

from .._validate import InputError
from .. import _validate
from .._backend import array_namespace, check_finite, linalg_errors, to_numpy

__all__ = ["ASYMMETRY_RTOL", "asymmetry_rtol", "check_symmetric",
           "JACOBI_MAX_N", "LDL_MIN_N", "CPU_CHUNK_BYTES", "GPU_FREE_FRACTION",
           "eigvalsh_batched", "count_negative", "inertia", "empirical_cdf_at",
           "host_available_bytes", "memory_budget", "plan_chunk", "real_dtype",
           "require_memory", "eigh_batched"]

#: Bytes of working memory for one chunk on the CPU when ``max_bytes`` is not given.
CPU_CHUNK_BYTES = 1 << 20
#: Fraction of the free GPU memory that one chunk may use (safety factor for cuSOLVER
#: workspaces, the eigenvalue solver that follows, and fragmentation).
GPU_FREE_FRACTION = 0.5

#: Largest ``n`` sent to CuPy's batched Jacobi ``eigvalsh``; larger stacks loop over 2-D
#: (syevd) calls. Provisional, from DESIGN.md's H200 timings (Jacobi fastest at n <= 256,
#: many times slower at n >= 1024); to be measured by ``benchmarks/gpu_check.py``.
JACOBI_MAX_N = 512

#: Smallest ``n`` at which ``count_negative(method="auto")`` uses LDLᵀ on the CPU.
#: Measured with ``rmtland.bench.bench_spectra`` on the 2-core development machine
#: (NumPy 2.4 / SciPy 1.17, OpenBLAS): against batched ``numpy.linalg.eigvalsh``, LDLᵀ is
#: 0.2-0.75x at n = 4-8 (its ~4 us per-call overhead), 1.2-1.9x at n = 10-16, 3-3.6x at
#: n = 32-2048 in float64 and 3.5-6.7x in float32. LDLᵀ needs SciPy's workspace query:
#: with its default ``lwork = n`` (unblocked code) it is 2x *slower* than eigvalsh at 2048.
LDL_MIN_N = 10

_METHODS = ("auto", "ldl", "eigvalsh")
#: Bytes of the shifted host copy made at a time by the LDL path.
_LDL_CHUNK_BYTES = 1 << 26


# --------------------------------------------------------------------------- memory

#: Seconds for which :func:`host_available_bytes` reuses its last reading. Reading
#: ``/proc/meminfo`` takes ~14 us, as long as a whole loss call of a small network, and every
#: checked call of the network engine and every point of a sweep's grid asks for it; the
#: checks it serves refuse runs that would need a large share of the memory, which a second
#: of staleness does not change.
HOST_MEMORY_SECONDS = 1.0
_HOST_READING = []                              # [time.monotonic() of the reading, bytes]


def host_available_bytes():
    """Available host memory in bytes (Linux MemAvailable), or None when unknown; read at most
    once every :data:`HOST_MEMORY_SECONDS`."""
    now = time.monotonic()
    if not _HOST_READING or now - _HOST_READING[0] > HOST_MEMORY_SECONDS:
        _HOST_READING[:] = [now, _read_host_available()]
    return _HOST_READING[1]


def _read_host_available():
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


def memory_budget(xp, max_bytes=None):
    """``(chunk_bytes, limit_bytes)``: target bytes per chunk and the most one call may use.

    On CuPy both are ``GPU_FREE_FRACTION`` × (free device memory + free blocks of CuPy's
    pool); on NumPy ``CPU_CHUNK_BYTES`` and half the available host memory. An explicit
    ``max_bytes`` sets both.
    """
    if max_bytes is not None:
        limit = _validate.positive("max_bytes", max_bytes)
        return limit, limit
    if xp is np:
        host = host_available_bytes()
        return CPU_CHUNK_BYTES, (CPU_CHUNK_BYTES if host is None else max(CPU_CHUNK_BYTES,
                                                                           host // 2))
    free = xp.cuda.Device().mem_info[0] + xp.get_default_memory_pool().free_bytes()
    limit = GPU_FREE_FRACTION * free
    return limit, limit


def plan_chunk(xp, bytes_per_item, batch, chunk=None, max_bytes=None, what="matrix",
               blame="n"):
    """Number of items per chunk so that a chunk fits the memory budget.

    Raises ``ValueError`` naming ``blame`` (the parameter that sets the size of one item)
    when one item, or the requested ``chunk``, cannot fit.
    """
    soft, limit = memory_budget(xp, max_bytes)
    where = "the GPU" if xp is not np else "the host"
    if bytes_per_item > limit:
        raise InputError(f"one {what} needs about {bytes_per_item / 2**30:.3g} GiB of working "
                         f"memory, more than the {limit / 2**30:.3g} GiB available on {where}; "
                         f"reduce {blame}")
    if chunk is None:
        return int(max(1, min(batch, soft // bytes_per_item)))
    chunk = min(_validate.integer("chunk", chunk, 1), batch)
    if chunk * bytes_per_item > limit:
        raise InputError(f"chunk={chunk} needs about {chunk * bytes_per_item / 2**30:.3g} GiB, "
                         f"more than the {limit / 2**30:.3g} GiB available on {where}; "
                         "use a smaller chunk or chunk=None")
    return chunk


def require_memory(xp, nbytes, blame, what):
    """Raise :class:`InputError` naming ``blame`` when ``what`` (``nbytes`` kept at once on
    ``xp``'s device; NumPy: the host) would exceed the limit of :func:`memory_budget`, so a
    run too big for the machine stops before it starts. ``what`` may be a callable giving the
    text, formatted only for the error (checks in inner loops)."""
    limit = memory_budget(xp)[1]
    if nbytes > limit:
        what = what() if callable(what) else what
        where = "the GPU" if xp is not np else "the host"
        raise InputError(f"{what} need about {nbytes / 2**30:.3g} GiB, more than the "
                         f"{limit / 2**30:.3g} GiB available on {where}; reduce {blame}")


# --------------------------------------------------------------------------- spectra


#: Largest relative asymmetry accepted, :math:`\max|A - A^\top| \le` rtol
#: :math:`\cdot \max|A|` per matrix (:math:`A^*` for complex input), by the precision of the
#: input: about :math:`4.5\cdot10^5` and 84 units of rounding. Matrices the package builds are
#: exactly symmetric (:math:`(W + W^\top)/2`, BLAS ``?syrk``), so this only refuses input that
#: is not symmetric: the solvers read one triangle, and a non-symmetric matrix would be
#: answered for its lower triangle silently (``[[1, 5], [0, 1]]``: 0 negative eigenvalues,
#: where its symmetric part has 1). Symmetrise first, ``(A + A.T) / 2``.
ASYMMETRY_RTOL = {"float64": 1e-10, "float32": 1e-5}


def asymmetry_rtol(dtype):
    """The tolerance of :data:`ASYMMETRY_RTOL` for ``dtype`` (by its real precision;
    integers as float64)."""
    return ASYMMETRY_RTOL["float32" if real_dtype(dtype) == np.float32 else "float64"]


def check_symmetric(A, name="H"):
    r"""Refuse a stack ``(batch, n, n)`` or a matrix ``(n, n)`` that holds a NaN or an infinity
    or is not symmetric (Hermitian): :math:`\max|A - A^\top| > \text{rtol}\cdot\max|A|` for
    some matrix, rtol from :data:`ASYMMETRY_RTOL`. One pass over the data, by chunks that fit
    the memory budget, reduced on the device to three numbers and moved to the host once (one
    device sync). Raises :class:`InputError` naming ``name``."""
    xp = array_namespace(A)
    S = A if A.ndim == 3 else A[None]
    batch, n = S.shape[0], S.shape[-1]
    rtol = asymmetry_rtol(A.dtype)
    # two temporaries per matrix (A - A^T and its modulus); never more than the solvers
    # that follow need, which plan (and refuse) their own memory
    per = 2 * n * n * max(np.dtype(A.dtype).itemsize, 8)
    step = int(max(1, min(batch, memory_budget(xp)[0] // per)))
    amax, dmax = [], []
    with np.errstate(invalid="ignore", over="ignore"):         # inf - inf: refused below
        for s in range(0, batch, step):
            D = S[s:s + step]
            T = xp.swapaxes(D, 1, 2)
            if xp.iscomplexobj(D):
                T = T.conj()
            amax.append(xp.abs(D).max(axis=(1, 2)))
            dmax.append(xp.abs(D - T).max(axis=(1, 2)))
        amax, dmax = xp.concatenate(amax), xp.concatenate(dmax)
        ratio = dmax / xp.where(amax > 0, amax, 1.0)
    worst = xp.argmax(ratio)
    f64 = np.float64
    fin, r, i = to_numpy(xp.stack([xp.all(xp.isfinite(amax)).astype(f64),
                                   ratio[worst].astype(f64), worst.astype(f64)]))
    if not fin:
        raise InputError(f"{name} must contain only finite numbers (it holds a NaN or an "
                         "infinity)")
    if not r <= rtol:
        where = f" (matrix {int(i)} of the stack)" if A.ndim == 3 else ""
        raise InputError(f"{name} must be symmetric (Hermitian): max|{name} - {name}^T| = "
                         f"{r:.3g} x max|{name}|{where}, allowed <= {rtol:g} for "
                         f"{np.dtype(A.dtype).name}; symmetrise it, ({name} + {name}.T) / 2")


def _check_stack(H):
    """(batch, n) of a finite, symmetric stack of square matrices; ``InputError`` otherwise
    (a NaN or an infinity would give a silent 0 count or NaN eigenvalues; an asymmetric
    matrix the answer for its lower triangle)."""
    shape = getattr(H, "shape", None)
    if shape is None:
        raise InputError(f"H must be a NumPy or CuPy array of shape (batch, n, n) (array "
                         f"required), got {type(H).__name__}")
    if len(shape) != 3 or shape[1] != shape[2] or shape[1] < 1:
        raise InputError(f"H must be a stack of square matrices of shape (batch, n, n) with "
                         f"n >= 1, got shape {shape}")
    if shape[0] < 1:
        raise InputError("H must hold at least one matrix (batch >= 1)")
    check_symmetric(H, "H")
    return shape[0], shape[1]


def real_dtype(dtype):
    """Real dtype of the eigenvalues of a matrix of ``dtype`` (float64 for integers)."""
    dtype = np.promote_types(dtype, np.float32)
    return np.finfo(dtype).dtype


def eigvalsh_batched(H, *, chunk=None):
    r"""Eigenvalues, in ascending order, of each symmetric (Hermitian) matrix of a stack.

    Parameters
    ----------
    H : array of shape ``(batch, n, n)``
        NumPy or CuPy; symmetric (checked: :func:`check_symmetric`).
    chunk : int, optional
        Matrices per solver call. Default: the whole stack on NumPy; on CuPy as many as fit
        in a fraction of the free GPU memory (batched Jacobi path).

    Returns
    -------
    eigs : array of shape ``(batch, n)``
        Same backend as ``H``; float32 for float32/complex64 input, float64 otherwise.

    Notes
    -----
    On CuPy, stacks with ``n <= JACOBI_MAX_N`` use the batched Jacobi solver (syevj), larger
    ones a loop of 2-D calls (syevd); see the module notes.
    """
    _check_stack(H)
    return _eigvalsh(H, chunk)


def _eigvalsh(H, chunk=None):
    """:func:`eigvalsh_batched` on a checked stack."""
    xp = array_namespace(H)
    batch, n = H.shape[0], H.shape[-1]
    itemsize = np.dtype(H.dtype).itemsize
    if chunk is not None:
        chunk = min(_validate.integer("chunk", chunk, 1), batch)
    if xp is np:
        if chunk is None or chunk == batch:
            return np.linalg.eigvalsh(H)
        return np.concatenate([np.linalg.eigvalsh(H[s:s + chunk])
                               for s in range(0, batch, chunk)])
    out = xp.empty((batch, n), dtype=real_dtype(H.dtype))
    with linalg_errors(xp):
        if n > JACOBI_MAX_N:
            for i in range(batch):                   # one 2-D syevd call per matrix
                out[i] = xp.linalg.eigvalsh(H[i])
        else:
            # Batched syevj: a Fortran copy of the chunk plus solver workspace, ~3 n^2 each.
            chunk = plan_chunk(xp, 3 * n * n * itemsize, batch, chunk,
                               what="matrix to diagonalise")
            for s in range(0, batch, chunk):
                out[s:s + chunk] = xp.linalg.eigvalsh(H[s:s + chunk])
    check_finite(out, "eigvalsh (cuSOLVER syevj/syevd)")
    return out


def eigh_batched(H):
    """Eigenvalues and eigenvectors of each symmetric matrix of a stack ``(b, n, n)``:
    ``(w (b, n) ascending, V (b, n, n))``, on the stack's backend.  Loud on both backends
    (NumPy raises by itself; CuPy under :func:`rmtland._backend.linalg_errors`, then a
    finiteness check); CuPy stacks with ``n > JACOBI_MAX_N`` loop over 2-D (syevd) calls, as
    :func:`eigvalsh_batched` does."""
    xp = array_namespace(H)
    if xp is np:
        return np.linalg.eigh(H)
    n = H.shape[-1]
    with linalg_errors(xp):
        if n > JACOBI_MAX_N:
            w = xp.empty(H.shape[:2], dtype=H.dtype)
            V = xp.empty(H.shape, dtype=H.dtype)
            for i in range(H.shape[0]):
                w[i], V[i] = xp.linalg.eigh(H[i])
        else:
            w, V = xp.linalg.eigh(H)
    if not bool(xp.all(xp.isfinite(w)) & xp.all(xp.isfinite(V))):     # one fused check
        raise np.linalg.LinAlgError("eigh (cuSOLVER syevj/syevd) returned non-finite values: "
                                    "the solver failed")
    return w, V


def _inertia_ldl(H, x):
    """(negative, zero, positive) counts of each H - x I from LAPACK ?sytrf/?hetrf.

    The explicit host boundary: ``H`` is copied to NumPy here. Each chunk of the stack is
    shifted once (``A = H - xI``, a C-ordered copy); ``A[i].T`` is then Fortran-ordered and
    its upper triangle is the lower triangle of ``H[i]`` (for a Hermitian ``H`` it holds the
    conjugate matrix, which has the same eigenvalues), so LAPACK factorises it in place with
    UPLO='U', with no per-matrix copy.
    """
    from scipy.linalg.lapack import get_lapack_funcs

    H = to_numpy(H)
    H = H.astype(np.promote_types(H.dtype, np.float32), copy=False)
    batch, n = H.shape[:2]
    herm = np.iscomplexobj(H)
    names = ("hetrf", "hetrf_lwork") if herm else ("sytrf", "sytrf_lwork")
    trf, trf_lwork = get_lapack_funcs(names, (H,))
    work, info = trf_lwork(n, lower=0)
    lwork = max(1, int(np.real(work)))
    d = np.empty((batch, n), dtype=real_dtype(H.dtype))      # diagonal of D
    e2 = np.zeros((batch, n), dtype=d.dtype)                  # |D[k, k+1]|^2 (UPLO='U')
    piv = np.empty((batch, n), dtype=np.int64)
    diag = np.arange(n)
    step = max(1, _LDL_CHUNK_BYTES // (n * n * H.itemsize))
    for s in range(0, batch, step):
        A = H[s:s + step].copy()
        A[:, diag, diag] -= x
        for i in range(A.shape[0]):            # one LAPACK call per matrix, in place
            ldu, ipiv, info = trf(A[i].T, lower=0, lwork=lwork, overwrite_a=1)
            if info < 0:
                raise RuntimeError(f"LAPACK {names[0]} rejected argument {-info}")
            d[s + i] = ldu.diagonal().real
            e2[s + i, :-1] = np.abs(ldu.diagonal(1)) ** 2
            piv[s + i] = ipiv
    # UPLO='U' tiles D with blocks from the bottom; reversed, it is the lower layout.
    return _inertia_from_blocks(d[:, ::-1], np.roll(e2[:, ::-1], -1, axis=1), piv[:, ::-1])


def _inertia_from_blocks(d, e2, piv):
    r"""Inertia of the block-diagonal D of a lower Bunch–Kaufman factorisation.

    LAPACK (``?sytrf``, UPLO='L'): ``ipiv[k] > 0`` marks a 1×1 block ``d[k]``;
    ``ipiv[k] = ipiv[k+1] < 0`` marks a 2×2 block ``[[d[k], b], [b*, d[k+1]]]`` with
    ``|b|^2 = e2[k]``. Blocks tile ``0..n-1`` from the top, so in a run of negative
    entries the 2×2 blocks start at even offsets from the run's start. A 2×2 block with
    determinant < 0 has one negative and one positive eigenvalue; with determinant > 0 both
    have the sign of its trace; with determinant 0, one is 0 and the other the trace.
    """
    n = d.shape[1]
    idx = np.arange(n)
    two = piv < 0
    last_one = np.maximum.accumulate(np.where(two, -1, idx), axis=1)
    first = two & ((idx - last_one) % 2 == 1)            # first row of a 2x2 block
    one = ~two
    d_next = np.concatenate([d[:, 1:], np.zeros_like(d[:, :1])], axis=1)
    det = d * d_next - e2
    tr = d + d_next
    w2 = np.where(det > 0, 2, 1)                          # eigenvalues sharing the trace sign
    neg = (one & (d < 0)).sum(1) + (first & (det < 0)).sum(1) \
        + (w2 * (first & (det >= 0) & (tr < 0))).sum(1)
    pos = (one & (d > 0)).sum(1) + (first & (det < 0)).sum(1) \
        + (w2 * (first & (det >= 0) & (tr > 0))).sum(1)
    return neg, n - neg - pos, pos


def inertia(H, x=0.0, *, method="auto", chunk=None):
    r"""Inertia of each :math:`H - xI`: numbers of eigenvalues below, at and above ``x``.

    Parameters
    ----------
    H : array of shape ``(batch, n, n)``
        Symmetric (Hermitian) matrices, NumPy or CuPy; symmetric (checked: :func:`check_symmetric`).
    x : float, optional
        Shift (finite).
    method : {"auto", "ldl", "eigvalsh"}, optional
        ``"ldl"``: Sylvester's law of inertia from the LDLᵀ (Bunch–Kaufman) factorisation
        :math:`P(H - xI)P^\top = L D L^\top` (LAPACK ``?sytrf``/``?hetrf`` via SciPy); a CuPy
        input is copied to the host for it. ``"eigvalsh"``: count the eigenvalues of
        :func:`eigvalsh_batched`. ``"auto"``: ``"ldl"`` for NumPy input with
        ``n >= LDL_MIN_N``, ``"eigvalsh"`` for CuPy input (CuPy has no ``sytrf``, and a
        host round trip plus a CPU factorisation is no faster than cuSOLVER's syevd).
    chunk : int, optional
        Passed to :func:`eigvalsh_batched` on the ``"eigvalsh"`` path.

    Returns
    -------
    negative, zero, positive : int64 arrays of shape ``(batch,)``
        On the backend of ``H``. ``zero`` counts exact zero pivots (eigenvalues equal to
        ``x`` to working precision), which random matrices essentially never have.

    Notes
    -----
    By Sylvester's law of inertia, :math:`H - xI` and the block-diagonal ``D`` (1×1 and 2×2
    blocks) have the same numbers of negative, zero and positive eigenvalues (Bunch &
    Kaufman, Math. Comp. 31, 163 (1977); Golub & Van Loan, *Matrix Computations*, 4th ed.,
    Sec. 4.4 and 8.1). The counts agree with the eigenvalue counts except for eigenvalues
    within rounding error of ``x``, where either answer is as good as the other.
    """
    xp = array_namespace(H)
    batch, n = _check_stack(H)
    x = _validate.finite("x", x)
    if method not in _METHODS:
        raise InputError(f"method must be one of {_METHODS}, got {method!r}")
    if method == "auto":
        method = "ldl" if (xp is np and n >= LDL_MIN_N) else "eigvalsh"
    if method == "ldl":
        counts = _inertia_ldl(H, x)
        return tuple(xp.asarray(c.astype(np.int64)) for c in counts)
    eigs = _eigvalsh(H, chunk=chunk)
    neg = (eigs < x).sum(axis=1).astype(xp.int64)
    pos = (eigs > x).sum(axis=1).astype(xp.int64)
    return neg, n - neg - pos, pos


def count_negative(H, x=0.0, *, method="auto", chunk=None):
    r"""Number of eigenvalues ``< x`` of each matrix of a stack (``index`` at ``x = 0``).

    Parameters and routing as in :func:`inertia`.

    Returns
    -------
    counts : int64 array of shape ``(batch,)``, on the backend of ``H``.

    Examples
    --------
    >>> from rmtland.sampling import sample_goe, count_negative
    >>> H = sample_goe(200, batch=4, rng=0)
    >>> count_negative(H).shape
    (4,)
    """
    return inertia(H, x, method=method, chunk=chunk)[0]


def empirical_cdf_at(H, x, *, method="auto", chunk=None):
    r"""Empirical spectral distribution function of each matrix at ``x``.

    :math:`F_H(x) = \#\{\lambda_i(H) < x\}/n`, computed as ``count_negative(H, x) / n``.

    Returns
    -------
    cdf : float64 array of shape ``(batch,)``, on the backend of ``H``.
    """
    n = getattr(H, "shape", (1,))[-1]
    return count_negative(H, x, method=method, chunk=chunk) / n
