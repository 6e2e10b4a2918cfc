"""The PyTorch adapter (rmtland.networks.torch) against calling torch.func directly, curvlinops
and PyHessian: the cost of a Hessian product, and spectra at one matvec budget.

Part 1, products.  For each model and block size b (1 and 32): seconds per block product of
the adapter's H operator (NumPy block in, NumPy block out, the data loop, the checks) against
the same math written directly with torch.func (jvp of grad, vmap over the b columns; and a
Python loop over the columns, to measure what vmap buys), curvlinops' HessianLinearOperator
(``op @ V`` on a tensor block) and, for b = 1, PyHessian's hessian_vector_product (double
backward through a retained graph).  One thread (OPENBLAS_NUM_THREADS=1,
torch.set_num_threads(1)); methods interleaved, repeats rotated, median seconds; ratios are
against torch.func (vmap) at the same b.

Part 2, spectra.  On models small enough to form H (adapter.dense, then numpy eigvalsh: the
exact spectrum), at the same budget of about PROBES x STEPS Hessian-vector products: rmtland's
SLQ through the adapter (``spectrum``), PyHessian's ``density`` (SLQ with full
reorthogonalisation; PyHessian 0.1 calls ``torch.eig``, removed in torch 2: the benchmark
supplies it through ``torch.linalg.eigh``, exact for the symmetric tridiagonal matrix it is
given) and curvlinops' ``lanczos_approximate_spectrum`` (Papyan 2020, with its ARPACK
boundaries; its products are counted).  Errors against the exact spectrum: the largest CDF
difference on a 2000-point grid (KS), the index error |alpha_hat - alpha| and the lambda_max
error; all in PB's normalisation (the other libraries' eigenvalues divided by ``scale``).
The index is taken below -ZERO max|lambda| (rounding zeros are not negative): rmtland's is
``spectrum(..., tau=)``'s count below -tau, with its error bar 4 stderr + bias bound ("bar");
PyHessian's the Gauss rule's weight below that point; curvlinops' its smoothed CDF there.

    python benchmarks/bench_torch.py --out torch.json
    python benchmarks/bench_torch.py --quick            # smaller models, fewer repeats
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


#: eigenvalues within ZERO * max|lambda| of 0 count as zeros, not negative (the index is
#: taken at -ZERO * max|lambda|): dense eigvalsh gives rounding-sized eigenvalues of either
#: sign to the null directions (a CNN with ReLU and cross-entropy has ~18% of them)
ZERO = 1e-8


def _torch():
    import torch
    torch.set_num_threads(1)
    return torch


def mlp(torch, widths, seed=0):
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(torch.nn.Linear(a, b, bias=False))
        if i < len(widths) - 2:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def digits_cnn(torch, channels, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Conv2d(1, channels, 3), torch.nn.ReLU(),
                               torch.nn.Flatten(), torch.nn.Linear(channels * 36, 10))


def mlp_task(torch, widths, m, dtype, seed=1):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(m, widths[0], generator=g, dtype=dtype)
    Y = torch.randn(m, widths[-1], generator=g, dtype=dtype)
    return mlp(torch, widths).to(dtype), torch.nn.MSELoss(), X, Y


def digits_task(torch, channels, m, dtype):
    from rmtland.networks.data import digits
    ds = digits(m=m, unit=True, one_hot=False, rng=0)
    X = torch.from_numpy(ds.X).reshape(-1, 1, 8, 8).to(dtype)
    return digits_cnn(torch, channels).to(dtype), torch.nn.CrossEntropyLoss(), X, \
        torch.from_numpy(ds.Y)


def direct_hvp(torch, net, loss_fn, X, Y):
    """The same math written directly: v -> jvp(grad(L), v), L in PB's normalisation written
    out (0.5 sum (f - y)^2 / (k m), or the summed cross-entropy / m).  (Differentiating
    torch.nn.MSELoss itself this way fails under vmap in torch 2.14: "ZeroTensors are
    immutable".)"""
    from torch.func import functional_call, grad, jvp, vmap
    names = [nm for nm, _ in net.named_parameters()]
    shapes = [p.shape for _, p in net.named_parameters()]
    sizes = [s.numel() for s in shapes]
    theta = torch.cat([p.detach().reshape(-1) for p in net.parameters()])

    def loss(th):
        ps = {nm: t.view(s) for nm, t, s in zip(names, torch.split(th, sizes), shapes)}
        f = functional_call(net, ps, (X,))
        if isinstance(loss_fn, torch.nn.MSELoss):
            return 0.5 * ((f - Y) ** 2).sum() / Y.numel()
        return torch.nn.functional.cross_entropy(f, Y, reduction="sum") / Y.shape[0]
    g = grad(loss)

    def one(v):
        return jvp(g, (theta,), (v,))[1]
    block = vmap(one, in_dims=1, out_dims=1)

    def loop(V):
        return torch.stack([one(V[:, j]) for j in range(V.shape[1])], dim=1)
    return one, block, loop


def time_products(torch, name, net, loss_fn, X, Y, blocks, repeats):
    from curvlinops import HessianLinearOperator
    from pyhessian.utils import hessian_vector_product
    from rmtland.networks.torch import TorchHessian
    h = TorchHessian(net, loss_fn, (X, Y))
    op = h.operator("H")
    t0 = time.perf_counter()
    cached = h.operator("H", cache=True)
    setup = time.perf_counter() - t0
    one, block, loop = direct_hvp(torch, net, loss_fn, X, Y)
    params = [p for p in net.parameters()]
    cl = HessianLinearOperator(net, loss_fn, params, [(X, Y)], check_deterministic=False,
                               num_data=X.shape[0])
    net.zero_grad()
    gradsH = torch.autograd.grad(loss_fn(net(X), Y), params, create_graph=True)
    rows = []
    for b in blocks:
        rng = np.random.default_rng(b)
        V = rng.standard_normal((h.n, b)).astype(h.dtype)
        T = torch.from_numpy(V)
        methods = {"adapter": lambda: op.matvec(V), "adapter-cached": lambda: cached.matvec(V),
                   "torch.func": (lambda: one(T[:, 0])) if b == 1 else (lambda: block(T)),
                   "curvlinops": lambda: cl @ T}
        if b > 1:
            methods["torch.func-loop"] = lambda: loop(T)
        else:
            vs = [t.reshape(p.shape) for t, p in
                  zip(torch.split(T[:, 0], [p.numel() for p in params]), params)]
            methods["pyhessian"] = lambda: hessian_vector_product(gradsH, params, vs)
        ref = block(T).numpy()
        got = op.matvec(V)
        err = float(np.abs(got - ref).max() / np.abs(ref).max())
        times = {k: [] for k in methods}
        keys = list(methods)
        for k in keys:                                           # warm up
            methods[k]()
        for r in range(repeats):
            for k in keys[r % len(keys):] + keys[:r % len(keys)]:
                t0 = time.perf_counter()
                methods[k]()
                times[k].append(time.perf_counter() - t0)
        base = statistics.median(times["torch.func"])
        for k in keys:
            med = statistics.median(times[k])
            rows.append({"part": "products", "model": name, "n": h.n, "m": h.m, "b": b,
                         "method": k, "seconds": med, "vs_torch_func": med / base,
                         "adapter_rel_error": err if k == "adapter" else None,
                         "setup_seconds": setup if k == "adapter-cached" else None})
    return rows


def _eig_shim(torch):
    """torch.eig(T, eigenvectors=True) for PyHessian 0.1 (removed in torch 2), through eigh:
    T is the symmetric tridiagonal Lanczos matrix."""
    def eig(T, eigenvectors=False):
        w, U = torch.linalg.eigh(T)
        return torch.stack([w, torch.zeros_like(w)], 1), U
    return eig


def spectra(torch, name, net, loss_fn, X, Y, probes, steps):
    from curvlinops import HessianLinearOperator, lanczos_approximate_spectrum
    from pyhessian import hessian as PyHessian
    from rmtland.linalg.spectral import spectrum
    from rmtland.networks.torch import TorchHessian
    h = TorchHessian(net, loss_fn, (X, Y))
    t0 = time.perf_counter()
    w = np.linalg.eigvalsh(h.dense("H"))
    t_dense = time.perf_counter() - t0
    span = w[-1] - w[0]
    grid = np.linspace(w[0] - 0.05 * span, w[-1] + 0.05 * span, 2000)
    exact = np.searchsorted(w, grid, side="right") / w.size
    at = -ZERO * np.abs(w).max()            # rounding zeros are not negative eigenvalues
    alpha = float(np.mean(w < at))
    rows = []

    def row(method, seconds, matvecs, cdf, index, lmax, bar=None):
        rows.append({"part": "spectra", "model": name, "n": h.n, "m": h.m, "method": method,
                     "seconds": seconds, "matvecs": int(matvecs),
                     "ks": float(np.abs(cdf - exact).max()),
                     "w1_over_span": float(np.abs(cdf - exact).mean() * (grid[-1] - grid[0])
                                           / span),
                     "index_at": at, "index": index, "index_error_bar": bar,
                     "index_exact": alpha, "index_error": abs(index - alpha),
                     "lambda_max": lmax, "lambda_max_exact": float(w[-1]),
                     "lambda_max_error": None if lmax is None else abs(lmax - w[-1]),
                     "zero_fraction": float(np.mean(np.abs(w) <= -at)),
                     "dense_seconds": t_dense})

    for method, cache in (("rmtland-slq", False), ("rmtland-slq-cached", True)):
        t0 = time.perf_counter()                  # (the cached set-up is included)
        res = spectrum(h.operator("H", cache=cache), probes=probes, steps=steps, x=grid,
                       tau=-at, rng=0)
        below = res["counts"]["below"]            # the count below -tau (Ritz-residual bracket)
        row(method, time.perf_counter() - t0, res["matvecs"], np.asarray(res["cdf"]),
            below["fraction"], float(res["lambda_max"]),
            4 * below["stderr"] + below["bias_bound"])

    removed, torch.eig = torch.eig, _eig_shim(torch)      # torch.eig is a stub that raises
    try:
        torch.manual_seed(0)
        t0 = time.perf_counter()
        ph = PyHessian(net, loss_fn, data=(X, Y), cuda=False)
        nodes, weights = ph.density(iter=steps, n_v=probes)
        sec = time.perf_counter() - t0
    finally:
        torch.eig = removed
    nodes = np.asarray(nodes, dtype=np.float64) / h.scale          # (probes, steps)
    weights = np.asarray(weights, dtype=np.float64)
    cdf = np.mean([(wt[None, :] * (nd[None, :] <= grid[:, None])).sum(1)
                   for nd, wt in zip(nodes, weights)], axis=0)
    row("pyhessian", sec, probes * steps, cdf, float(np.mean(
        [(wt * (nd < at)).sum() for nd, wt in zip(nodes, weights)])), float(nodes.max()))

    cl = HessianLinearOperator(net, loss_fn, list(net.parameters()), [(X, Y)],
                               check_deterministic=False, num_data=X.shape[0])
    count = [0]
    inner = cl._matmat

    def counting(M):
        count[0] += M[0].shape[-1]
        return inner(M)
    cl._matmat = counting
    torch.manual_seed(0)
    t0 = time.perf_counter()
    lam, dens = lanczos_approximate_spectrum(cl, steps, num_points=4000, num_repeats=probes)
    sec = time.perf_counter() - t0
    lam, dens = lam.double().numpy() / h.scale, dens.double().numpy()
    c = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(lam))])
    c /= c[-1]
    cdf = np.interp(grid, lam, c, left=0.0, right=1.0)
    row("curvlinops", sec, count[0], cdf, float(np.interp(at, lam, c)), None)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"],
                   help="of the product timings (spectra run in float64)")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--probes", type=int, default=8)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--quick", action="store_true", help="smaller models, 3 repeats")
    p.add_argument("--only", choices=["products", "spectra"], default=None)
    p.add_argument("--out", default=None, help="JSON file for the rows")
    args = p.parse_args(argv)
    torch = _torch()
    dt = getattr(torch, args.dtype)
    big = [32, 64, 64, 10] if args.quick else [64, 256, 256, 10]
    m = 128 if args.quick else 512
    repeats = 3 if args.quick else args.repeats
    rows = []
    if args.only != "spectra":
        rows += time_products(torch, f"mlp {'-'.join(map(str, big))}",
                              *mlp_task(torch, big, m, dt), blocks=(1, 32), repeats=repeats)
        rows += time_products(torch, "digits cnn 8ch", *digits_task(torch, 8, m, dt),
                              blocks=(1, 32), repeats=repeats)
    if args.only != "products":
        small = [8, 16, 16, 4] if args.quick else [16, 32, 32, 4]
        rows += spectra(torch, f"mlp {'-'.join(map(str, small))}",
                        *mlp_task(torch, small, 256, torch.float64), args.probes, args.steps)
        rows += spectra(torch, "digits cnn 4ch", *digits_task(torch, 4, 256, torch.float64),
                        args.probes, args.steps)

    print(f"{'model':<22} {'n':>6} {'b':>3} {'method':<16} {'ms/product':>11} "
          f"{'vs torch.func':>13}")
    for r in rows:
        if r["part"] == "products":
            print(f"{r['model']:<22} {r['n']:>6} {r['b']:>3} {r['method']:<16} "
                  f"{r['seconds'] * 1e3:>11.4g} {r['vs_torch_func']:>13.3f}")
    print(f"\n{'model':<22} {'n':>6} {'method':<18} {'matvecs':>7} {'seconds':>8} "
          f"{'KS':>7} {'W1/span':>8} {'index':>7} {'|d index|':>9} {'bar':>7} "
          f"{'|d lmax|/lmax':>13}")
    for r in rows:
        if r["part"] == "spectra":
            bar = "-" if r["index_error_bar"] is None else f"{r['index_error_bar']:.3g}"
            lmax = ("-" if r["lambda_max_error"] is None
                    else f"{r['lambda_max_error'] / r['lambda_max_exact']:.2e}")
            print(f"{r['model']:<22} {r['n']:>6} {r['method']:<18} {r['matvecs']:>7} "
                  f"{r['seconds']:>8.3g} {r['ks']:>7.3f} {r['w1_over_span']:>8.4f} "
                  f"{r['index']:>7.4f} {r['index_error']:>9.3g} {bar:>7} {lmax:>13}")
    dense = {r["model"]: r for r in rows if r["part"] == "spectra"}
    for model, r in dense.items():
        print(f"exact ({model}): dense H + eigvalsh {r['dense_seconds']:.3g} s, index "
              f"{r['index_exact']:.4f} (at {r['index_at']:.2g}), zeros {r['zero_fraction']:.3f}")
    if args.out:
        from rmtland.bench import write_rows
        write_rows(args.out, "torch", vars(args), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
