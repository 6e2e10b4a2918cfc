r"""Spectral benchmarks: rmtland's eigenvalue and inertia routines against plain libraries.

Each row of :func:`bench_spectra` is one ``(n, method)`` pair timed on a stack of GOE
matrices (:func:`rmtland.sampling.sample_goe`, float64 unless asked otherwise): the best of
``repeats`` timed calls on the whole stack, after one untimed warm-up call, divided by the
stack size. GPU timings synchronise the device before reading the clock.

Methods
-------
``numpy-eigvalsh``
    ``numpy.linalg.eigvalsh`` on a host copy (the CPU baseline; its row says ``device="cpu"``).
``rmtland-eigvalsh``
    :func:`rmtland.linalg.eigvalsh_batched` on the chosen device (size-routed on CuPy).
``rmtland-inertia``
    :func:`rmtland.linalg.count_negative` on the chosen device (LDLᵀ on the CPU,
    eigenvalue counts on CuPy).
``host-ldl-inertia``
    GPU only, not in the defaults: copy the stack to the host and count by LDLᵀ (the
    transfer is timed too); answers whether the GPU should hand inertia to the CPU.
``cupy-eigvalsh``
    ``cupy.linalg.eigvalsh`` on the whole stack (batched Jacobi, syevj).
``cupy-syevd-loop``
    ``cupy.linalg.eigvalsh`` on each 2-D matrix in turn (syevd); with ``cupy-eigvalsh``
    it locates the crossover ``JACOBI_MAX_N``.
``torch-eigvalsh``
    ``torch.linalg.eigvalsh`` on the same device memory (DLPack), when torch with CUDA
    imports.
"""
import time
from functools import partial

import numpy as np

from ._validate import Budget, InputError, integer, nonnegative, within_budget
from ._backend import device_name, get_xp, to_numpy
from .linalg.dense import count_negative, eigvalsh_batched, memory_budget, require_memory
from .sampling.ensembles import check_sample_goe, sample_goe
from .sampling.hessian import check_sample_hessian

__all__ = ["bench_spectra", "bench_sampling", "bench_network", "default_batch", "format_table",
           "format_network_table", "time_call", "time_interleaved", "write_rows",
           "CPU_METHODS", "GPU_METHODS", "LOOP_OPS", "LOOP_DENSE_BYTES"]

CPU_METHODS = ("numpy-eigvalsh", "rmtland-eigvalsh", "rmtland-inertia")
GPU_METHODS = ("numpy-eigvalsh", "rmtland-eigvalsh", "rmtland-inertia", "cupy-eigvalsh",
               "torch-eigvalsh")
_ALL = GPU_METHODS + ("host-ldl-inertia", "cupy-syevd-loop")
_HOST = ("numpy-eigvalsh", "host-ldl-inertia")
#: Largest matrix used for the warm-up call (the first call initialises solver handles
#: and workspaces); bigger stacks are warmed on a leading ``n x n`` block of this size.
WARMUP_MAX_N = 1024


def default_batch(n):
    """Stack size for size ``n``: about 32 MiB of float64, between 1 and 256 matrices."""
    return int(min(256, max(1, 2 ** 22 // (n * n))))


def _torch():
    try:
        import torch
        return torch if torch.cuda.is_available() else None
    except Exception:       # not installed, or broken CUDA
        return None


def _methods(xp, torch, H, Hh):
    """name -> (callable on a stack of the right kind, the stack, synchroniser)."""
    sync = (lambda: None) if xp is np else xp.cuda.get_current_stream().synchronize
    table = {
        "numpy-eigvalsh": (np.linalg.eigvalsh, Hh, lambda: None),
        "rmtland-eigvalsh": (eigvalsh_batched, H, sync),
        "rmtland-inertia": (count_negative, H, sync),
    }
    if xp is not np:
        table["host-ldl-inertia"] = (lambda A: count_negative(to_numpy(A), method="ldl"), H,
                                     sync)
        table["cupy-eigvalsh"] = (xp.linalg.eigvalsh, H, sync)
        table["cupy-syevd-loop"] = (lambda A: [xp.linalg.eigvalsh(a) for a in A], H, sync)
        if torch is not None:
            T = torch.from_dlpack(H)

            def torch_sync():
                sync()
                torch.cuda.synchronize()
            table["torch-eigvalsh"] = (torch.linalg.eigvalsh, T, torch_sync)
    return table


def time_call(fn, *, repeats=3, sync=None, warmup=None, stat=min):
    """Seconds of ``fn()``: ``stat`` (default the best) of ``repeats`` timed calls after one
    untimed warm-up call (``warmup()`` when given, else ``fn()``); ``sync()`` (a device
    synchronisation) runs before each clock reading.  The one timing helper of the benchmarks.
    """
    sync = sync or (lambda: None)
    (warmup or fn)()
    sync()
    times = []
    for _ in range(integer("repeats", repeats, 1)):
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return stat(times)


def _time(fn, A, sync, repeats):
    w = min(A.shape[-1], WARMUP_MAX_N)
    return time_call(lambda: fn(A), repeats=repeats, sync=sync,
                     warmup=lambda: fn(A[:1, :w, :w]))


def bench_spectra(device="cpu", sizes=(64, 256, 1024), *, repeats=3, batch=None, methods=None,
                  dtype="float64", seed=0):
    r"""Time eigenvalue and inertia routines on stacks of GOE matrices.

    Parameters
    ----------
    device : {"cpu", "gpu", "auto"}
        Where the stack lives; ``"gpu"`` without a GPU raises ``RuntimeError``.
    sizes : sequence of int
        Matrix sizes ``n``.
    repeats : int, optional
        Timed calls per row; the best is kept.
    batch : int or callable, optional
        Matrices per stack, or a function of ``n`` (default :func:`default_batch`).
    methods : sequence of str, optional
        Subset of the methods in the module notes (default: ``CPU_METHODS`` on the CPU,
        ``GPU_METHODS`` on a GPU, less ``torch-eigvalsh`` when torch cannot use CUDA).
        Unavailable methods are skipped.
    dtype : {"float64", "float32"}, optional
    seed : int, optional

    Returns
    -------
    rows : list of dict
        Keys ``n``, ``method``, ``device`` ("cpu" for host methods), ``batch``, ``dtype``,
        ``repeats``, ``seconds_per_matrix``.
    """
    xp = get_xp(device)
    dev = device_name(xp)
    repeats = integer("repeats", repeats, 1)
    torch = _torch() if xp is not np else None
    if methods is None:
        methods = CPU_METHODS if xp is np else tuple(
            m for m in GPU_METHODS if m != "torch-eigvalsh" or torch is not None)
    unknown = [m for m in methods if m not in _ALL]
    if unknown:
        raise InputError(f"unknown methods {unknown}; choose from {_ALL}")
    plan = []                                     # every size's memory, before any computing
    for n in sizes:
        n = integer("n", n, 1)
        b = batch(n) if callable(batch) else (default_batch(n) if batch is None else batch)
        b = integer("batch", b, 1)
        check_sample_goe(n, batch=b, dtype=dtype, device=device)
        if xp is not np and any(m in _HOST for m in methods):
            require_memory(np, b * n * n * np.dtype(dtype).itemsize, "sizes",
                           f"the host copy of {b} matrices of size {n}")
        plan.append((n, b))
    rows = []
    for n, b in plan:
        H = sample_goe(n, batch=b, dtype=dtype, rng=seed, device=device)
        Hh = to_numpy(H) if any(m in _HOST for m in methods) else None
        table = _methods(xp, torch, H, Hh)
        for method in methods:
            if method not in table:
                continue
            fn, A, sync = table[method]
            seconds = _time(fn, A, sync, repeats)
            rows.append({"n": n, "method": method,
                         "device": "cpu" if method in _HOST or xp is np else dev,
                         "batch": b, "dtype": dtype, "repeats": repeats,
                         "seconds_per_matrix": seconds / b})
        del H, Hh, table
    return rows


def _plain_hessian_loop(n, phi, eps, batch, seed):
    """The obvious NumPy loop a user would write: one ``H0 + H1`` at a time."""
    rng = np.random.default_rng(seed)
    m = round(n / phi)
    out = np.empty((batch, n, n))
    for i in range(batch):                       # loop over matrices
        X = rng.standard_normal((n, m))
        A = rng.standard_normal((n, n))
        out[i] = X @ X.T / m + (A + A.T) * (np.sqrt(2 * eps) / np.sqrt(2 * n))
    return out


def bench_sampling(device="cpu", sizes=(64, 128, 256, 512, 1024), *, repeats=3, batch=None,
                   phi=0.5, eps=0.1, seed=0):
    r"""Time :func:`rmtland.sampling.sample_hessian` with its default chunking against the plain
    NumPy loop over matrices (``plain-numpy-loop``, on the CPU), seconds per matrix.

    The default chunk (:data:`rmtland.linalg.dense.CPU_CHUNK_BYTES`) is chosen so that the
    first row is at least as fast as the second at every size (issue: a 1 GiB default cost
    1.2–1.7× in page faults); this table is how that stays true.
    """
    from .sampling.hessian import sample_hessian
    xp = get_xp(device)
    dev = device_name(xp)
    sync = (lambda: None) if xp is np else xp.cuda.get_current_stream().synchronize
    plan = []                                     # every size's memory, before any computing
    for n in sizes:
        n = integer("n", n, 1)
        b = default_batch(n) if batch is None else integer("batch", batch, 1)
        check_sample_hessian(n, phi, eps, batch=b, device=device)
        plan.append((n, b))
    rows = []
    for n, b in plan:
        runs = [("rmtland-sample_hessian", dev,
                 lambda: sample_hessian(n, phi, eps, batch=b, rng=seed, device=device), sync)]
        if xp is np:
            runs.append(("plain-numpy-loop", "cpu",
                         lambda: _plain_hessian_loop(n, phi, eps, b, seed), None))
        for method, where, fn, s in runs:
            seconds = time_call(fn, repeats=repeats, sync=s)
            rows.append({"n": n, "method": method, "device": where, "batch": b,
                         "dtype": "float64", "repeats": repeats, "seconds_per_matrix": seconds / b})
    return rows


def _hvp_multiply_adds(widths, B, m, r, prepared=False, unit=False):
    """Multiply-adds of the GEMMs of one :meth:`rmtland.networks.MLP.hvp` call (``part="H"``,
    no biases) on ``r`` directions, counted from its code: the forward pass (one GEMM per
    layer), then per layer ``l`` of shape ``h × h'``: ``a V^T`` and the gradient block (first
    layer), plus ``Ra W^T``, ``delta^T Ra``, ``Rdelta W``, ``delta V`` and ``delta W`` (later
    layers; in a narrow layer, ``2h <= h'``, ``Rdelta W + delta V`` is one GEMM of depth
    ``2h``, the same count). ``prepared``: a product of
    :func:`rmtland.networks.operators.hessian_operator`, whose forward pass and ``delta W``
    were done once when the operator was made (not counted). ``unit``: the columns of
    :meth:`~rmtland.networks.MLP.hessian`, whose unit directions need no ``a V^T`` and
    ``delta V`` GEMMs (put in place instead), and no ``Ra W^T`` in the second layer (``Ra``
    there has one column: an outer product)."""
    total = 0
    for l, (hp, h) in enumerate(zip(widths[:-1], widths[1:])):
        per = (1 if unit else 2) * r if l == 0 else (
            (3 if l == 1 else 4) if unit else 6) * r + (0 if prepared else 1)
        total += B * m * h * hp * (per + (0 if prepared else 1))
    return total


def _hvp_gemms(xp, widths, B, m, dtype, g):
    """A callable doing only the GEMMs of one :meth:`rmtland.networks.MLP.hvp` call on one
    direction per network (``part="H"``, no biases), with the shapes and operand layouts of
    its code and the count of :func:`_hvp_multiply_adds` (random operands, no elementwise
    work): the ceiling the GEMMs of that product reach alone on these shapes."""
    from .networks.mlp import sum_outer

    def rand(*shape):
        return xp.asarray(g.standard_normal(shape)).astype(dtype, copy=False)
    calls = []
    for l, (hp, h) in enumerate(zip(widths[:-1], widths[1:])):
        a, W, V = rand(B, m, hp), rand(B, h, hp), rand(B, 1, h, hp)
        Rd, Ra, d = rand(B, 1, m, h), rand(B, 1, m, hp), rand(B, m, h)
        calls += [lambda a=a, W=W: a @ W.swapaxes(1, 2),                 # forward
                  lambda a=a, V=V: a[:, None] @ V.swapaxes(2, 3),        # R{z} from V
                  lambda a=a, Rd=Rd: sum_outer(Rd, a[:, None])]          # weight block
        if l:
            calls += [lambda d=d, W=W: d @ W,                            # delta (point)
                      lambda Ra=Ra, W=W: Ra @ W.swapaxes(1, 2)[:, None],
                      lambda d=d, Ra=Ra: sum_outer(d[:, None], Ra),
                      lambda Rd=Rd, W=W: Rd @ W[:, None],
                      lambda d=d, V=V: d[:, None] @ V]
            if 2 * h <= hp:         # a narrow layer: [Rdelta | delta] [W; V], one GEMM
                L, R = rand(B, 1, m, 2 * h), rand(B, 1, 2 * h, hp)
                calls[-2:] = [lambda L=L, R=R: L @ R]

    def run():
        for call in calls:
            call()
    return run


def _gemm_rate(A, repeats, sync):
    """FLOP/s of ``A @ A`` (square), the best of ``repeats``."""
    return 2 * A.shape[0] ** 3 / time_call(lambda: A @ A, repeats=repeats, sync=sync)


def time_interleaved(fns, repeats, sync=None, clock=time.perf_counter, block=0.0):
    """Median seconds per call of each callable of ``fns``, timed round-robin (``repeats``
    rounds after one untimed warm-up round), so that a shared machine's load falls on all of
    them alike. ``clock``: wall time by default; ``time.process_time`` counts this process's
    CPU time only (for single-threaded CPU timings on an oversubscribed host).

    ``block``: seconds of back-to-back calls per callable and round (at least one call; the
    count is fixed from the warm-up call): a call then runs with the caches and the allocator
    in the state its own previous call left, as in a loop of products, rather than after the
    other callables (``block=0``, one call per round: "cold")."""
    sync = sync or (lambda: None)
    calls = []
    for fn in fns:
        sync()
        t0 = clock()
        fn()
        sync()
        calls.append(max(1, int(block / max(clock() - t0, 1e-9))) if block > 0 else 1)
    times = [[] for _ in fns]
    for _ in range(integer("repeats", repeats, 1)):
        for t, fn, k in zip(times, fns, calls):
            sync()
            t0 = clock()
            for _ in range(k):
                fn()
            sync()
            t.append((clock() - t0) / k)
    return [float(np.median(t)) for t in times]


def _torch_cpu():
    try:
        import torch
        return torch, None
    except Exception as exc:     # not installed, or broken
        return None, f"torch.func rows skipped: torch does not import ({type(exc).__name__})"


def _torch_func_hvp(torch, widths, X, Y, theta, V):
    """``torch.func`` H·v of the same tanh network (no biases, the squared loss of
    :class:`rmtland.networks.MLP`: ``1/(2km) sum |f - y|^2``), vmapped over the networks:
    ``vmap(jvp(grad(L)))`` (forward-over-reverse, as rmtland's R-pass). Returns the callable
    and its result on the host."""
    from torch.func import grad, jvp, vmap
    d, h, k = widths
    Xt, Yt = torch.from_numpy(np.asarray(X)), torch.from_numpy(np.asarray(Y))
    c = 1.0 / (k * Xt.shape[0])

    def loss(t):
        f = torch.tanh(Xt @ t[:h * d].reshape(h, d).T) @ t[h * d:].reshape(k, h).T
        return 0.5 * c * ((f - Yt) ** 2).sum()

    hvp = vmap(lambda t, v: jvp(grad(loss), (t,), (v,))[1])
    T, Vt = torch.from_numpy(np.asarray(theta)), torch.from_numpy(np.asarray(V))

    def call():
        return hvp(T, Vt)
    return call, call().numpy()


#: operations of the batched-against-loop rows of :func:`bench_network`
LOOP_OPS = ("loss", "gradient", "hvp-1", "hvp-block", "dense-H", "dense-H0", "sgd-epoch")
#: largest batch of dense Hessians (bytes) the batched-against-loop rows build
LOOP_DENSE_BYTES = 1 << 28
#: largest pair of batched dense Hessians (bytes) the ``dense-hessian`` rows build
DENSE_ROW_BYTES = 1 << 30


def _network_row_bytes(MLP, xp, dtype, inputs, outputs, N, *, hidden, batch, samples,
                       directions):
    """Peak bytes of one width's rows of :func:`bench_network`: the ceiling's GEMM (``A``, its
    product and one more), the data, ``theta``, ``V1`` and ``Vr``, the operators' forward
    passes (one per network), the block call's working memory and result
    (:meth:`rmtland.networks.MLP.nbytes`), the dense row's Hessians (capped where the row is
    skipped) and a torch.func row's forward pass."""
    model = MLP([inputs, hidden, outputs], dtype=dtype)
    n, item = model.n_params, np.dtype(dtype).itemsize
    return (item * (3 * N * N + samples * (inputs + outputs) + batch * n * (directions + 2))
            + batch * model.nbytes(1, samples, 1) * 2
            + model._working_bytes(xp, batch, samples, directions, dtype)
            + min(2 * batch * n * n * item, DENSE_ROW_BYTES))


def _loop_row_bytes(MLP, xp, dtype, inputs, outputs, ops, *, loop_hidden, loop_batches,
                    samples, directions):
    """Peak bytes of the ``batched-vs-loop`` rows of one ``(B, width)``: ``theta``, ``V``, the
    SGD epoch's copies of ``theta`` (:func:`rmtland.networks.train.train_sgd`: iterate,
    momentum, gradient, best), the block call and the dense Hessians of ``ops`` (capped at
    :data:`LOOP_DENSE_BYTES`, above which those rows are skipped)."""
    model = MLP([inputs, loop_hidden, outputs], dtype=dtype)
    n, item, B = model.n_params, np.dtype(dtype).itemsize, loop_batches
    dense = any(op.startswith("dense") for op in ops)
    return (item * B * n * (directions + 5)
            + model._working_bytes(xp, B, samples, directions, dtype)
            + (min(B * n * n * item, LOOP_DENSE_BYTES) if dense else 0))


def bench_network(device="cpu", hidden=(16, 64, 256), *, inputs=32, outputs=8, samples=256,
                  batch=8, directions=32, repeats=3, dtype="float64", seed=0,
                  ceiling_size=None, loop_batches=(8, 100), loop_hidden=(10, 40, 160, 400),
                  loop_ops=LOOP_OPS, torch=True, clock="wall", block=0.05):
    r"""The network engine against the device's GEMM ceiling, against its own loop over single
    networks, and against ``torch.func`` (issue 20).

    Rows (``method``):

    - ``gemm-ceiling``: the FLOP rate of one square ``xp.matmul`` of size ``ceiling_size``
      (default 2048 on the CPU, 8192 on a GPU) in ``dtype``, measured in the same run.
    - For each width ``h`` of ``hidden`` (a tanh network ``inputs → h → outputs``, ``n``
      parameters, ``samples`` Gaussian samples, ``batch`` networks): ``hvp-1``
      (:meth:`rmtland.networks.MLP.hvp`, one direction per network), ``hvp-block``
      (``directions`` at once; ``block_gain``: its GEMM rate over that of ``hvp-1``;
      ``speedup_per_direction``: ``hvp-1``'s seconds over its own per direction, the two
      timed interleaved: the block shares one forward pass among its directions, which the
      GEMM rate does not count; ``per_direction_by_count``: the same ratio of their GEMMs'
      multiply-adds, what the block gains with its GEMMs at ``hvp-1``'s rate and no other
      work, 1.41 for these networks at 32 directions: the directions' GEMMs are one per
      direction, so a block gains from the shared work, not from larger GEMMs) and
      ``dense-hessian``
      (:meth:`~rmtland.networks.MLP.hessian`, all ``n`` columns), and ``operator-hvp-1``:
      one product of each network's
      :func:`rmtland.networks.operators.hessian_operator` (made once, outside the timing:
      repeated products at one point, the path of :func:`rmtland.linalg.spectral.spectrum`),
      whose forward pass is not redone per product (``speedup_over_hvp_1``: ``hvp-1``'s
      seconds over its own, timed interleaved with it; ``hvp_equivalent_fraction``: the GEMMs
      of a full ``hvp-1`` product over its seconds, as a fraction of the ceiling). Each gives
      the seconds per network and the achieved rate of the GEMMs the
      call performs (:func:`_hvp_multiply_adds`, 2 FLOPs each) as ``fraction_of_gemm`` of
      ``ceiling_gflops``, the ceiling's GEMM timed interleaved with the row (medians of
      ``repeats``, :func:`time_interleaved`), so that a shared machine's load falls on both.
      Elementwise work is not counted: the fraction is a lower bound on how well the
      products use the device. ``hvp-1-gemms``: the GEMMs of one ``hvp-1`` call alone, same
      shapes and layouts, no elementwise work (:func:`_hvp_gemms`): the fraction those
      shapes reach, and ``share_of_hvp_1``, their seconds over ``hvp-1``'s (timed together).
    - ``torch.func-hvp-1`` (CPU, when ``torch`` and torch imports; else one row with a
      ``skipped`` note): ``vmap(jvp(grad(L)))`` on the same networks, directions and data;
      ``speedup_rmtland`` = torch's seconds over ``hvp-1``'s, ``max_rel_diff`` the largest
      difference of the two products relative to the largest entry (a check that both
      compute the same H·v); ``torch_threads`` its intra-op threads.
    - ``batched-vs-loop:<op>`` for every ``B`` of ``loop_batches``, width of ``loop_hidden``
      and operation of ``loop_ops`` (:data:`LOOP_OPS`; ``sgd-epoch`` is one epoch of
      :func:`rmtland.networks.train.train_sgd`, mini-batches of 32, momentum 0.9): the same
      call on the ``B`` networks at once and on each network alone, timed interleaved
      (:func:`time_interleaved`, medians of ``repeats``), ``speedup_batched_over_loop`` = loop
      seconds over batched seconds; on the CPU, ``page_faults_batched`` and
      ``page_faults_loop``: the minor page faults of one more call of each (fresh memory the
      kernel zero-fills; the table shows them where the batched call has more). Dense
      Hessians above :data:`LOOP_DENSE_BYTES` get a ``skipped`` row.

    ``clock="cpu"`` times the rows of the GEMM fraction and the batched-against-loop rows in
    process CPU time (``time.process_time``; CPU device only): on a host shared with other
    jobs, single-threaded work then is not charged for the time it waits for a core. Run it
    with one BLAS thread (``OPENBLAS_NUM_THREADS=1``), or the CPU time sums the threads.

    ``block`` (seconds, default 0.05): every row is timed on back-to-back calls
    (:func:`time_interleaved`), as a loop of products runs; ``block=0`` times one call per
    round, right after the ceiling's GEMM has evicted the caches (the "cold" timing of the
    first issue-20 measurements). Each row records its ``block``.

    Returns
    -------
    rows : list of dict
        Keys ``n``, ``method``, ``device``, ``batch``, ``dtype``, ``repeats``,
        ``seconds_per_matrix`` (per network) and the row's own keys above.
    """
    from .networks import MLP
    from .networks.operators import hessian_operator
    from .networks.train import train_sgd
    hidden = [integer("hidden", h, 1) for h in hidden]        # every input checked first
    loop_batches = [integer("loop_batches", b, 1) for b in loop_batches]
    loop_hidden = [integer("loop_hidden", h, 1) for h in loop_hidden]
    unknown = [op for op in loop_ops if op not in LOOP_OPS]
    if unknown:
        raise InputError(f"unknown loop_ops {unknown}; choose from {LOOP_OPS}")
    for name, val in (("inputs", inputs), ("outputs", outputs), ("samples", samples),
                      ("batch", batch), ("directions", directions)):
        integer(name, val, 1)
    repeats = integer("repeats", repeats, 1)
    block = nonnegative("block", block, 10.0)
    if clock not in ("wall", "cpu"):
        raise InputError(f"clock must be 'wall' or 'cpu', got {clock!r}")
    xp = get_xp(device)
    if clock == "cpu" and xp is not np:
        raise InputError("clock='cpu' times host work only; use clock='wall' on a GPU")
    N = integer("ceiling_size", ceiling_size, 1) if ceiling_size else (2048 if xp is np
                                                                        else 8192)
    where = "the GPU" if xp is not np else "the host"
    limit = memory_budget(xp)[1]                  # every row's memory, before any computing
    if hidden:
        within_budget({"hidden": max(hidden), "batch": batch, "samples": samples,
                       "directions": directions},
                      Budget(partial(_network_row_bytes, MLP, xp, dtype, inputs, outputs, N),
                             limit, what="the benchmark's widest rows", where=where))
    if loop_batches and loop_hidden and loop_ops:
        within_budget({"loop_hidden": max(loop_hidden), "loop_batches": max(loop_batches),
                       "samples": samples, "directions": directions},
                      Budget(partial(_loop_row_bytes, MLP, xp, dtype, inputs, outputs,
                                     loop_ops), limit,
                             what="the benchmark's largest batched-vs-loop rows", where=where))
    tick = time.process_time if clock == "cpu" else time.perf_counter
    dev = device_name(xp)
    sync = (lambda: None) if xp is np else xp.cuda.get_current_stream().synchronize
    g = np.random.default_rng(seed)
    A = xp.asarray(g.standard_normal((N, N))).astype(dtype)
    ceiling = _gemm_rate(A, repeats, sync)
    rows = [{"n": N, "method": "gemm-ceiling", "device": dev, "batch": 1, "dtype": dtype,
             "repeats": repeats, "seconds_per_matrix": 2 * N ** 3 / ceiling,
             "gflops": ceiling / 1e9, "fraction_of_gemm": 1.0, "clock": clock}]
    tch, note = _torch_cpu() if (torch and xp is np) else (None, None)
    if torch and xp is not np:
        note = "torch.func rows are run on the CPU only"
    X = xp.asarray(g.standard_normal((samples, inputs))).astype(dtype, copy=False)
    Y = xp.asarray(g.standard_normal((samples, outputs))).astype(dtype, copy=False)
    for h in hidden:
        model = MLP([inputs, h, outputs], activation="tanh", dtype=dtype)
        n = model.n_params
        theta = model.init(batch, rng=seed, device=device)
        V1 = xp.asarray(g.standard_normal((batch, n))).astype(dtype, copy=False)
        Vr = xp.asarray(g.standard_normal((batch, n, directions))).astype(dtype, copy=False)
        ops = [hessian_operator(model, theta[b], X, Y) for b in range(batch)]

        def operator_products(ops=ops, V1=V1):
            return [op.matvec(V1[b]) for b, op in enumerate(ops)]
        runs = [("hvp-1", lambda: model.hvp(theta, X, Y, V1), 1),
                ("operator-hvp-1", operator_products, 1),
                ("hvp-block", lambda: model.hvp(theta, X, Y, Vr), directions)]
        if 2 * batch * n * n * np.dtype(dtype).itemsize <= DENSE_ROW_BYTES:
            runs.append(("dense-hessian", lambda: model.hessian(theta, X, Y), n))
        common = {"device": dev, "batch": batch, "dtype": dtype, "repeats": repeats,
                  "hidden": h, "block": block}
        rate1 = None
        for method, fn, r in runs:          # the GEMM timed beside each row (shared host)
            if method in ("operator-hvp-1", "hvp-block"):   # and hvp-1 beside it, each after
                t_gemm, seconds, _, t_hvp = time_interleaved(  # a GEMM (cold)
                    [lambda: A @ A, fn, lambda: A @ A, runs[0][1]], repeats, sync, tick, block)
            else:
                t_gemm, seconds = time_interleaved([lambda: A @ A, fn], repeats, sync, tick,
                                                   block)
            full = 2 * _hvp_multiply_adds(model.widths, batch, samples, r)
            flops = 2 * _hvp_multiply_adds(model.widths, batch, samples, r,
                                           prepared=method == "operator-hvp-1",
                                           unit=method == "dense-hessian")
            row = {"n": n, "method": method, **common, "directions": r,
                   "seconds_per_matrix": seconds / batch, "gflops": flops / seconds / 1e9,
                   "ceiling_gflops": 2 * N ** 3 / t_gemm / 1e9,
                   "fraction_of_gemm": flops / seconds / (2 * N ** 3 / t_gemm)}
            if method == "hvp-1":
                rate1, full_1 = row["gflops"], full
            elif method == "operator-hvp-1":
                row["speedup_over_hvp_1"] = t_hvp / seconds
            if method in ("operator-hvp-1", "dense-hessian"):
                row["hvp_equivalent_fraction"] = full / seconds / (2 * N ** 3 / t_gemm)
            elif method == "hvp-block":
                row["block_gain"] = row["gflops"] / rate1
                row["speedup_per_direction"] = t_hvp * r / seconds
                row["per_direction_by_count"] = full_1 * r / full
            rows.append(row)
            if method == "hvp-1":           # its GEMMs alone, beside it and the GEMM
                t_gemm, t_own, t_hvp = time_interleaved(
                    [lambda: A @ A, _hvp_gemms(xp, model.widths, batch, samples, dtype, g),
                     fn], repeats, sync, tick, block)
                rows.append({"n": n, "method": "hvp-1-gemms", **common, "directions": 1,
                             "seconds_per_matrix": t_own / batch,
                             "gflops": full / t_own / 1e9,
                             "ceiling_gflops": 2 * N ** 3 / t_gemm / 1e9,
                             "fraction_of_gemm": full / t_own / (2 * N ** 3 / t_gemm),
                             "share_of_hvp_1": t_own / t_hvp})
        if tch is not None:
            call, ref = _torch_func_hvp(tch, model.widths, X, Y, theta, V1)
            ours = model.hvp(theta, X, Y, V1)
            t_ours, t_torch = time_interleaved([lambda: model.hvp(theta, X, Y, V1), call],
                                               repeats, clock=tick, block=block)
            rows.append({"n": n, "method": "torch.func-hvp-1", **common, "directions": 1,
                         "seconds_per_matrix": t_torch / batch,
                         "speedup_rmtland": t_torch / t_ours,
                         "max_rel_diff": float(np.abs(ours - ref).max() / np.abs(ref).max()),
                         "torch_threads": tch.get_num_threads()})
    if note and hidden:
        rows.append({"n": 0, "method": "torch.func-hvp-1", "device": "cpu", "batch": batch,
                     "dtype": dtype, "repeats": repeats, "skipped": note})
    for B in loop_batches:
        for h in loop_hidden:
            rows += _batched_vs_loop(MLP([inputs, h, outputs],
                                         activation="tanh", dtype=dtype),
                                     xp, X, Y, B, directions, loop_ops, repeats, seed, sync,
                                     train_sgd, device, dev, tick, block)
    return rows


def _batched_vs_loop(model, xp, X, Y, B, directions, ops, repeats, seed, sync, train_sgd,
                     device, dev, tick, block):
    """The ``batched-vs-loop:<op>`` rows of :func:`bench_network` for one shape."""
    g = np.random.default_rng(seed + 1)
    n, dt = model.n_params, np.dtype(model.dtype)
    theta = model.init(B, rng=seed, device=device)
    V = xp.asarray(g.standard_normal((B, n, directions))).astype(dt, copy=False)
    calls = {
        "loss": lambda t, s: model.loss(t, X, Y),
        "gradient": lambda t, s: model.gradient(t, X, Y),
        "hvp-1": lambda t, s: model.hvp(t, X, Y, V[s, :, 0]),
        "hvp-block": lambda t, s: model.hvp(t, X, Y, V[s]),
        "dense-H": lambda t, s: model.hessian(t, X, Y),
        "dense-H0": lambda t, s: model.hessian(t, X, Y, part="H0"),
        "sgd-epoch": lambda t, s: train_sgd(model, t, X, Y, lr=0.05, momentum=0.9,
                                            batch_size=32, max_epochs=1, stop="none", rng=0),
    }
    rows = []
    for op in ops:
        base = {"n": n, "method": f"batched-vs-loop:{op}", "device": dev, "batch": B,
                "dtype": str(dt), "repeats": repeats, "hidden": model.widths[1], "block": block}
        if op.startswith("dense") and B * n * n * dt.itemsize > LOOP_DENSE_BYTES:
            rows.append({**base, "skipped": f"{B} dense Hessians need "
                         f"{B * n * n * dt.itemsize / 2 ** 30:.2g} GiB (> LOOP_DENSE_BYTES)"})
            continue
        fn = calls[op]
        pair = [lambda: fn(theta, slice(None)),
                lambda: [fn(theta[b:b + 1], slice(b, b + 1)) for b in range(B)]]
        try:
            batched, loop = time_interleaved(pair, repeats, sync, tick, block)
        except InputError as exc:                 # refused by the memory plan
            rows.append({**base, "skipped": str(exc)})
            continue
        rows.append({**base, "seconds_per_matrix": batched / B, "seconds_batched": batched,
                     "seconds_loop": loop, "speedup_batched_over_loop": loop / batched})
        if device == "cpu" and _minor_faults() is not None:   # one more call each, untimed
            rows[-1]["page_faults_batched"], rows[-1]["page_faults_loop"] = (
                _page_faults(call) for call in pair)
    return rows


def _minor_faults():
    """The process's minor page faults so far (``getrusage``), None where there is no
    ``resource`` module (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _page_faults(call):
    """Minor page faults of one ``call()``: each is a fresh 4 KiB page the kernel zero-fills,
    about 1.4 us apiece on the 2-core test VM (164 MB of fresh result: 40 000 faults, 56 ms)."""
    before = _minor_faults()
    call()
    return _minor_faults() - before


def write_rows(path, benchmark, argv, rows):
    """Write a benchmark's ``rows`` with its arguments, versions and machine to ``path``
    (JSON, atomically); prints where."""
    import platform
    import scipy
    from ._io import write_json
    from ._version import __version__
    write_json(path, {"benchmark": benchmark, "argv": argv,
                      "versions": {"rmtland": __version__, "numpy": np.__version__,
                                   "scipy": scipy.__version__,
                                   "python": platform.python_version()},
                      "machine": platform.machine(), "rows": rows})
    print(f"wrote {path}")


def format_table(rows, baselines=("numpy-eigvalsh", "torch-eigvalsh", "plain-numpy-loop")):
    """Plain-text table of ``rows``, with each row's speed-up over the baselines at its n.

    A speed-up ``> 1`` means the row's method is faster than the baseline. Rows of
    :func:`bench_network` (recognised by their ``gemm-ceiling`` row) get their own columns:
    :func:`format_network_table`.
    """
    if any(r.get("method") == "gemm-ceiling" for r in rows):
        return format_network_table(rows)
    ref = {(r["n"], r["method"]): r["seconds_per_matrix"] for r in rows}
    present = [b for b in baselines if any(r["method"] == b for r in rows)]
    head = ["n", "method", "device", "batch", "ms/matrix"] + [f"vs {b}" for b in present]
    lines = [head]
    for r in rows:
        line = [str(r["n"]), r["method"], r["device"], str(r["batch"]),
                f"{r['seconds_per_matrix'] * 1e3:.4g}"]
        for b in present:
            t = ref.get((r["n"], b))
            line.append(f"{t / r['seconds_per_matrix']:.2f}x" if t else "-")
        lines.append(line)
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = ["  ".join(c.rjust(w) if i != 1 else c.ljust(w) for i, (c, w) in
                     enumerate(zip(line, widths))) for line in lines]
    out.insert(1, "-" * len(out[0]))
    return "\n".join(out)


def format_network_table(rows):
    """Plain-text table of :func:`bench_network` rows: per row the batch ``B``, width, ``n``,
    directions ``r``, ms per network, GFLOP/s and fraction of the GEMM ceiling where counted,
    and a last column with the row's ratio: ``block x rate, x per direction`` (a block's GEMM
    rate over one product's, and one product's seconds over the block's per direction),
    ``% of hvp-1's time`` (its GEMMs alone), ``over hvp-1 x`` (an operator product's
    speed-up, and its rate counted as a full product), ``as n hvp-1 columns`` (a
    dense Hessian's rate counted so), ``rmtland x`` (torch.func's seconds over rmtland's),
    ``batched/loop x``, or the reason a row was skipped."""
    head = ["method", "B", "hidden", "n", "r", "ms/network", "GFLOP/s", "of GEMM", "ratio"]
    lines = [head]
    for r in rows:
        ratio = ("skipped: " + r["skipped"] if "skipped" in r else
                 f"batched/loop {r['speedup_batched_over_loop']:.2f}x" + (
                     f" (page faults {r['page_faults_batched']} vs {r['page_faults_loop']})"
                     if r.get("page_faults_batched", 0) > r.get("page_faults_loop", 0) else "")
                 if "speedup_batched_over_loop" in r else
                 f"rmtland {r['speedup_rmtland']:.2f}x faster (diff {r['max_rel_diff']:.1e})"
                 if "speedup_rmtland" in r else
                 f"block {r['block_gain']:.2f}x rate, {r['speedup_per_direction']:.2f}x per "
                 f"direction ({r['per_direction_by_count']:.2f}x by GEMM count)"
                 if "block_gain" in r else
                 f"{r['share_of_hvp_1']:.0%} of hvp-1's time" if "share_of_hvp_1" in r else
                 f"over hvp-1 {r['speedup_over_hvp_1']:.2f}x (as hvp-1: "
                 f"{r['hvp_equivalent_fraction']:.1%})" if "speedup_over_hvp_1" in r else
                 f"as n hvp-1 columns: {r['hvp_equivalent_fraction']:.1%}"
                 if "hvp_equivalent_fraction" in r else "")
        lines.append([r["method"], str(r.get("batch", "")), str(r.get("hidden", "-")),
                      str(r.get("n", "")), str(r.get("directions", "-")),
                      f"{r['seconds_per_matrix'] * 1e3:.4g}" if "seconds_per_matrix" in r
                      else "-",
                      f"{r['gflops']:.3g}" if "gflops" in r else "-",
                      f"{r['fraction_of_gemm']:.1%}" if "fraction_of_gemm" in r else "-",
                      ratio])
    widths = [max(len(line[i]) for line in lines) for i in range(len(head) - 1)]
    out = ["  ".join([line[0].ljust(widths[0])]
                     + [c.rjust(w) for c, w in zip(line[1:-1], widths[1:])] + [line[-1]])
           for line in lines]
    out.insert(1, "-" * len(out[0]))
    return "\n".join(out)
