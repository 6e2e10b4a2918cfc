r"""Does the freeness defect of :math:`H = H_0 + H_1` shrink as networks grow?  (issue 18)

Pennington & Bahri (PB17) model the Gauss–Newton part :math:`H_0` and the residual part
:math:`H_1` of a network's Hessian as free and leave open whether real networks approach
freeness as they grow.  :func:`freeness_scaling` measures it at fixed
:math:`\varphi = n/(km)` on a ladder of one-hidden-layer tanh networks ``[d, h, k]``
(:math:`n = (d + k)h` parameters, no biases, PB17's setting) on PB17's memorisation task
(Gaussian inputs, Gaussian random targets, :func:`rmtland.networks.data.gaussian_task`) with
:math:`m = \mathrm{round}(n/(k\varphi))` samples.

**Which points.**  Exact critical points at :math:`n \approx 2000` are out of reach on a few
CPU cores, so every unit (one data set, one network) is taken along full-batch gradient
descent from a LeCun start (:func:`rmtland.networks.critical.descent_starts`, step
:math:`1/\lambda_{\max}(H_0)` halved on a rise): the first snapshot (every ``stride`` steps)
whose loss is at most ``eps_target``.  All sizes are thus compared at (about) the same loss
:math:`\varepsilon`, where the residuals, hence :math:`H_1`, are not negligible, which a fixed
step count would not give (the loss after a fixed count falls much faster at large :math:`n`).
These points are not critical points; the question is about the decomposition
:math:`H = H_0 + H_1` at points of a given loss.

**What is measured.**  :func:`rmtland.compare.networks.freeness_test` on each point's
:math:`(H_0, H_1)`: the three KS distances (free convolution of the empirical spectra;
spec(:math:`H_0 + QH_1Q^\top`), Haar :math:`Q`; the PB17 law at matched moments), each with an
exact Monte-Carlo p-value against :math:`R` Haar rotations of the point's own :math:`H_1`
(resolution :math:`1/(R+1)`; with :math:`R + 1` a multiple of 20 the test at 5% has size
exactly 5%), and the null draws' mean distance, the finite-size noise level, which itself
shrinks with :math:`n`.  Per size: each distance, the null mean, their ratio and difference
(mean ± s.e. over units), and the fraction of units rejecting at 5% ± its binomial s.e.
Across sizes: power laws (:func:`rmtland.compare.metrics.fit_power_law`) of the distance, of
the null mean, of their ratio and of their difference against :math:`n`.  A ratio slope
below 0 means the defect shrinks faster than the noise (freeness is approached at the scale
the test can see); 0 means it shrinks like the noise (a constant multiple of it: detectable at
every size); above 0, slower.

Measured (``python simulations/freeness_scaling.py --rotations 4 --units 8``, defaults
otherwise: :data:`LADDER`, :math:`\varphi` = 0.75 and 1.5, loss about 0.24, R = 99 null draws
up to n = 432 and 19 above; 602 s on one CPU thread): distance (b) falls from 0.077 ± 0.002
(n = 36) to 0.036 ± 0.003 (n = 432) and then stays there (0.034 ± 0.002 at n = 1632,
:math:`\varphi` = 0.75; 0.037 ± 0.001 at :math:`\varphi` = 1.5) while its null mean falls as
:math:`n^{-0.82 \pm 0.01}` (0.050 to 0.0022): the excess over the null grows slightly (slope
+0.05 ± 0.01 and +0.15 ± 0.04), the ratio to the null as :math:`n^{+0.6}`, and every unit
rejects from n = 120 on (p at the floor 1/(R+1)).  Distance (a) agrees (its null stops falling
near 0.004 at n >= 936, where the density quadrature of the free convolution sets the floor).
Distance (c) stays at its null (ratio 1.00 ± 0.01): the matched PB17 law misses spec H by
0.22–0.35 whatever the orientation of :math:`H_1`, so it cannot see freeness.  At the same
loss :math:`\|H_1\|_F/\|H_0\|_F` falls with n (0.15 to 0.06 at :math:`\varphi` = 0.75).  So
the defect does not shrink with n at these sizes.  Growing d and h with k = 2 outputs fixed is
one of several ways to grow a network, and these are descent points at a fixed loss, not
critical points.

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
Theory", ICML 2017, PMLR 70:2798–2806, Sec. 3 and 5.
J. A. Mingo, R. Speicher, *Free Probability and Random Matrices*, Springer 2017, Ch. 4
(Haar-rotated matrices are asymptotically free).
"""
import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from .. import _validate
from .._validate import Budget, InputError
from ..compare import networks as cmp
from ..compare.metrics import fit_power_law, mean_and_stderr
from ..linalg.dense import memory_budget
from ..networks import MLP
from ..networks import data as datasets
from ..networks.critical import descent_starts

__all__ = ["FreenessScalingConfig", "LADDER", "freeness_scaling", "check_freeness_scaling",
           "scaling_fits"]

#: ``[d, h, k]`` ladder: PB17's [4, 6, 2] grown at fixed d : h : k-free shape (h a multiple
#: of 6, so n = (d + 2) h is a multiple of 6 and m = n/(k phi) is an integer at phi = 0.75
#: and 1.5); n = 36, 120, 432, 936, 1632
LADDER = ((4, 6, 2), (8, 12, 2), (16, 24, 2), (24, 36, 2), (32, 48, 2))
#: the statistics reported per test and size
STATISTICS = ("ks", "null_mean", "ratio", "excess")


@dataclass(frozen=True)
class FreenessScalingConfig:
    """Every default of :func:`freeness_scaling` in one place (``dataclasses.replace``
    changes fields).

    ``ladder``: ``[d, h, k]`` triples (one hidden tanh layer); ``phis``: the fixed ratios
    :math:`\\varphi = n/(km)`; ``units``: data sets (each with its own network) per size and
    :math:`\\varphi`, the independent unit; ``eps_target``: the loss at which each point is
    taken; ``stride``, ``max_steps``: snapshot spacing and cap of the descent; ``null_draws``:
    Haar rotations behind the p-values for :math:`n \\le` ``large_n``, ``null_draws_large``
    above (the p-value floor is :math:`1/(R+1)`); ``rotations``: the pooled Haar spectra of
    distance (b); ``grid``: density nodes of distance (a); ``rotate_h1``: replace each
    :math:`H_1` by :math:`QH_1Q^\\top` with an independent Haar :math:`Q` (a truly free
    control: the rejection fraction must then be 5%); ``level``: the test level;
    ``max_operations``: the work allowed."""
    ladder: tuple = LADDER
    phis: tuple = (0.75, 1.5)
    units: int = 4
    eps_target: float = 0.25
    stride: int = 5
    max_steps: int = 3200
    null_draws: int = 99
    null_draws_large: int = 19
    large_n: int = 500
    rotations: int = 8
    grid: int = cmp.GRID
    rotate_h1: bool = False
    level: float = cmp.LEVEL
    max_operations: float = _validate.WORK_MAX
    seed: int = 0


def _params(d, h, k):
    return (d + k) * h


def _samples(n, k, phi):
    return max(1, int(round(n / (k * phi))))


def _draws(cfg, n):
    return cfg.null_draws if n <= cfg.large_n else cfg.null_draws_large


def _bytes(d, h, k, m, stride, max_steps, itemsize=8):
    """Peak memory of one unit (bytes): the dense matrices of the freeness test (H0, H1, H, a
    Haar Q, its product and a workspace: about 8 n^2), the descent snapshots, the data, one
    column block of MLP.hessian and the forward pass it keeps (as in
    :func:`rmtland.experiments.networks.check_network`)."""
    n, units = _params(d, h, k), h + k
    return itemsize * (8 * n * n + (max_steps // stride + 2) * n + 3 * m * (d + h + k)
                       + 10 * m * units + 4 * n)


def _operations(d, h, k, m, units, draws, rotations, max_steps, loops):
    """Work of one size at one phi (multiply-adds plus LOOP_OPERATIONS per Python-level
    iteration): the descent (at most twice max_steps full-batch steps, 6 m n each, by the
    doubling of the step count), H0 and H1 by R-passes (6 m n^2 each), and the freeness test:
    three eigendecompositions and the pooled rotations (about 12 n^3 each), each null draw
    (a Haar QR, a product and an eigendecomposition, about 12 n^3, and three distances)."""
    n = _params(d, h, k)
    loop = _validate.LOOP_OPERATIONS
    return units * (2 * max_steps * (6 * m * n + loop) + 12 * m * n * n
                    + (3 + rotations) * 12 * n ** 3 + draws * (12 * n ** 3 + 3 * loop)
                    + loops * loop)


def check_freeness_scaling(cfg=None, max_bytes=None):
    """The up-front check of :func:`freeness_scaling`: every field's range, then the memory of
    the largest unit against :func:`rmtland.linalg.dense.memory_budget` (or ``max_bytes``) and
    the total work against ``cfg.max_operations``, from the sizes alone
    (:func:`rmtland._validate.within_budget`; a refusal names the size to reduce).  Returns
    ``{"bytes", "operations", "sizes"}``, ``sizes`` one ``{d, h, k, n, m, phi, phi_realised,
    null_draws}`` per (phi, rung).  Raises :class:`~rmtland._validate.InputError`."""
    cfg = FreenessScalingConfig() if cfg is None else cfg
    if not isinstance(cfg, FreenessScalingConfig):
        raise InputError(f"cfg must be a FreenessScalingConfig, got {type(cfg).__name__}")
    ladder = cfg.ladder
    if isinstance(ladder, (str, bytes)) or not hasattr(ladder, "__len__") or not ladder:
        raise InputError(f"ladder must be a non-empty sequence of [d, h, k], got {ladder!r}")
    rungs = []
    for i, w in enumerate(ladder):
        if isinstance(w, (str, bytes)) or not hasattr(w, "__len__") or len(w) != 3:
            raise InputError(f"ladder[{i}] must be [d, h, k] (3 integers >= 1), got {w!r}")
        rungs.append(tuple(_validate.integer(f"ladder[{i}][{j}]", v, 1)
                           for j, v in enumerate(w)))
    if isinstance(cfg.phis, (str, bytes)) or not hasattr(cfg.phis, "__len__") or not cfg.phis:
        raise InputError(f"phis must be a non-empty sequence of numbers > 0, got {cfg.phis!r}")
    phis = [_validate.positive(f"phis[{i}]", p) for i, p in enumerate(cfg.phis)]
    units = _validate.integer("units", cfg.units, 2)
    _validate.positive("eps_target", cfg.eps_target)
    stride = _validate.integer("stride", cfg.stride, 1)
    max_steps = _validate.integer("max_steps", cfg.max_steps, stride)
    for name in ("null_draws", "null_draws_large", "rotations"):
        _validate.integer(name, getattr(cfg, name), 1)
    _validate.integer("large_n", cfg.large_n, 1)
    grid = _validate.integer("grid", cfg.grid, 3)
    if grid % 2 == 0:
        raise InputError(f"grid must be an odd integer >= 3, got {grid}")
    if not isinstance(cfg.rotate_h1, (bool, np.bool_)):
        raise InputError(f"rotate_h1 must be True or False, got {cfg.rotate_h1!r}")
    level = _validate.positive("level", cfg.level)
    if level >= 1:
        raise InputError(f"level must be in (0, 1), got {level}")
    _validate.positive("max_operations", cfg.max_operations)
    _validate.integer("seed", cfg.seed, 0)

    sizes, nbytes = [], 0
    limit = memory_budget(np, max_bytes)[1]
    for i, phi in enumerate(phis):
        for j, (d, h, k) in enumerate(rungs):
            n = _params(d, h, k)
            m = _samples(n, k, phi)
            nbytes = max(nbytes, _validate.within_budget(
                dict(hidden=h, inputs=d, outputs=k, samples=m, max_steps=max_steps),
                Budget(lambda hidden, inputs, outputs, samples, max_steps: _bytes(
                    inputs, hidden, outputs, samples, stride, max_steps), limit,
                       what=f"the dense Hessians of the [{d}, {h}, {k}] network (n = {n})"),
                minimum={"hidden": 1, "inputs": 1, "samples": 1, "max_steps": stride})[0])
            sizes.append(dict(d=d, h=h, k=k, n=n, m=m, phi=phi, phi_realised=n / (k * m),
                              null_draws=_draws(cfg, n), phi_index=i, rung=j))

    def work(units, null_draws, null_draws_large, rotations, max_steps):
        return sum(_operations(s["d"], s["h"], s["k"], s["m"], units,
                               null_draws if s["n"] <= cfg.large_n else null_draws_large,
                               rotations, max_steps, 1) for s in sizes)
    ops, = _validate.within_budget(
        dict(units=units, null_draws=cfg.null_draws, null_draws_large=cfg.null_draws_large,
             rotations=cfg.rotations, max_steps=max_steps),
        Budget(work, cfg.max_operations, unit="operations",
               what=f"the descents and freeness tests with their null draws at "
                    f"{len(sizes)} sizes"),
        minimum={"units": 2, "null_draws": 1, "null_draws_large": 1, "rotations": 1,
                 "max_steps": stride})
    return {"bytes": nbytes, "operations": ops, "sizes": sizes}


def _point(model, task, cfg, rng):
    """Descend from a LeCun start (rng) until the loss is at most ``eps_target``: the step
    count doubles (stride, 2 stride, ...) up to ``max_steps``, rerunning the same
    deterministic trajectory, and the first snapshot below the target is kept (else the
    last).  Returns ``(theta (1, n), loss, steps, reached)``."""
    total = min(cfg.stride * 8, cfg.max_steps)
    while True:
        steps = list(range(0, total + 1, cfg.stride))
        snaps = descent_starts(model, task.X, task.Y, 1, steps, rng=rng)
        loss = model.loss(snaps, task.X, task.Y)
        below = np.flatnonzero(loss <= cfg.eps_target)
        if below.size or total >= cfg.max_steps:
            i = int(below[0]) if below.size else len(steps) - 1
            return snaps[i:i + 1], float(loss[i]), steps[i], bool(below.size)
        total = min(2 * total, cfg.max_steps)


def _unit(d, h, k, m, phi, draws, cfg, ss):
    """One unit: its data set, its descent point, and the freeness test of (H0, H1)."""
    s_data, s_init, s_test, s_rot = ss.spawn(4)
    task = datasets.gaussian_task(m, d, k, rng=s_data)
    model = MLP([d, h, k], "tanh")
    theta, loss, steps, reached = _point(model, task, cfg, s_init)
    H0 = model.hessian(theta, task.X, task.Y, part="H0")[0]
    H1 = model.hessian(theta, task.X, task.Y, part="H1")[0]
    if cfg.rotate_h1:
        from ..sampling.ensembles import haar_orthogonal
        Q = haar_orthogonal(H1.shape[0], batch=1, rng=s_rot)[0]
        H1 = Q @ H1 @ Q.T
        H1 = (H1 + H1.T) / 2
    test = cmp.freeness_test(H0, H1, rng=s_test, phi=model.phi(m), null_draws=draws,
                             rotations=cfg.rotations, grid=cfg.grid)
    row = {"loss": loss, "steps": steps, "reached": reached,
           "h1_ratio": float(np.linalg.norm(H1) / np.linalg.norm(H0)),
           "eps_matched": test["eps"]}
    for key in cmp.FREENESS_KEYS:
        ks, null = test[key], (test["null"][key] or {}).get("mean")   # None: unresolved
        row[key] = {"ks": ks, "null_mean": null, "p_value": test["p_value"][key],
                    "ratio": None if ks is None or not null else ks / null,
                    "excess": None if ks is None or null is None else ks - null}
    return row


def _mean_se(values):
    """:func:`rmtland.compare.metrics.mean_and_stderr` over the values that are not None
    (``(None, None)`` when none is)."""
    v = [x for x in values if x is not None]
    return mean_and_stderr(v) if v else (None, None)


def _summary(units, level):
    """Per test: mean ± s.e. over units of each statistic, and the fraction rejecting at
    ``level`` ± its binomial s.e. sqrt(f(1-f)/N) (0 when f is 0 or 1: then say N)."""
    out = {}
    for key in cmp.FREENESS_KEYS:
        s = {}
        for stat in STATISTICS:
            s[f"{stat}_mean"], s[f"{stat}_se"] = _mean_se([u[key][stat] for u in units])
        p = [u[key]["p_value"] for u in units]
        rate = cmp.rejection_rate(p, level)
        s.update(p_values=p, tested=rate["p_points"],
                 rejected=sum(x is not None and x <= level for x in p),
                 reject_fraction=rate["rejected"], reject_se=rate["rejected_stderr"])
        out[key] = s
    return out


def scaling_fits(rows):
    """Power laws against n per test (:func:`rmtland.compare.metrics.fit_power_law`, OLS on
    log–log of the per-size means; the s.e. from the residuals, ``None`` with two sizes): of
    the distance ``ks``, of the null mean, of their ``ratio`` and of the ``excess``
    (distance − null mean; fitted only when positive at every size, else ``None``).  Returns
    ``{test: {stat: {"slope", "stderr", "prefactor", "sizes"} or None}}``."""
    n = np.array([r["n"] for r in rows], dtype=float)
    fits = {}
    for key in cmp.FREENESS_KEYS:
        fits[key] = {}
        for stat in STATISTICS:
            y = np.array([np.nan if r[key][f"{stat}_mean"] is None else r[key][f"{stat}_mean"]
                          for r in rows], dtype=float)
            ok = np.isfinite(y) & (y > 0)
            if ok.sum() < 2 or (stat == "excess" and not ok.all()):
                fits[key][stat] = None
                continue
            b, se, c = fit_power_law(n[ok], y[ok])
            fits[key][stat] = {"slope": b, "stderr": se, "prefactor": c, "sizes": int(ok.sum())}
    return fits


def freeness_scaling(cfg=None, *, progress=None):
    r"""The freeness defect against the parameter count at fixed :math:`\varphi` (module
    notes).

    Parameters
    ----------
    cfg : FreenessScalingConfig, optional
        Every setting (defaults: :data:`LADDER`, n = 36 … 1632, phi 0.75 and 1.5, 4 units).
    progress : callable, optional
        Called with one line per finished size.

    Returns
    -------
    dict
        ``config`` (the fields), ``rows`` (one per (phi, size): ``phi``, ``phi_realised`` =
        n/(km), ``d``, ``h``, ``k``, ``n``, ``m``, ``null_draws``, ``p_floor`` = 1/(R+1),
        ``units``, ``loss_mean``/``loss_se``, ``steps_mean``, ``reached`` (units whose descent
        reached ``eps_target``), ``h1_ratio_mean``/``_se`` (‖H1‖_F/‖H0‖_F),
        ``eps_matched_mean``/``_se`` (freeness_test's matched eps), ``seconds``, and per test
        key ``ks_mean``/``_se``, ``null_mean_mean``/``_se``, ``ratio_mean``/``_se``,
        ``excess_mean``/``_se``, ``p_values``, ``tested``, ``rejected``,
        ``reject_fraction``, ``reject_se``, ``points`` (every unit's numbers)), ``fits``
        (``{str(phi): scaling_fits(rows at phi)}``), ``level``, ``seconds``.
    """
    cfg = FreenessScalingConfig() if cfg is None else cfg
    plan = check_freeness_scaling(cfg)
    t0 = time.perf_counter()
    rows = []
    for size in plan["sizes"]:
        t1 = time.perf_counter()
        root = np.random.SeedSequence([cfg.seed, size["phi_index"], size["rung"]])
        points = [_unit(size["d"], size["h"], size["k"], size["m"], size["phi"],
                        size["null_draws"], cfg, ss) for ss in root.spawn(cfg.units)]
        row = dict(size, units=cfg.units, p_floor=1 / (size["null_draws"] + 1))
        for stat in ("loss", "h1_ratio", "eps_matched"):
            row[f"{stat}_mean"], row[f"{stat}_se"] = _mean_se([p[stat] for p in points])
        row["steps_mean"] = float(np.mean([p["steps"] for p in points]))
        row["reached"] = sum(p["reached"] for p in points)
        row.update(_summary(points, cfg.level))
        row["points"] = points
        row["seconds"] = time.perf_counter() - t1
        rows.append(row)
        if progress is not None:
            progress(f"phi={size['phi']:g} n={size['n']}: "
                     + ", ".join(f"{k}={row[k]['ks_mean']:.4g}/{row[k]['null_mean_mean']:.4g}"
                                 f" rej {row[k]['rejected']}/{row[k]['tested']}"
                                 for k in cmp.FREENESS_KEYS if row[k]['ks_mean'] is not None)
                     + f" ({row['seconds']:.0f} s)")
    fits = {str(rows[i * len(cfg.ladder)]["phi"]):
            scaling_fits(rows[i * len(cfg.ladder):(i + 1) * len(cfg.ladder)])
            for i in range(len(cfg.phis))}
    return {"config": dataclasses.asdict(cfg), "rows": rows, "fits": fits, "level": cfg.level,
            "seconds": time.perf_counter() - t0}
