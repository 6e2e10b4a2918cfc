r"""Studies of the spherical p-spin glass: the complexity, minima and minima-count figures
behind ``rmtland reproduce``, and the ``simulate spinglass`` command.

References
----------
A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses",
Comm. Pure Appl. Math. 66, 165 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129 (ABC13).
A. Choromanska, M. Henaff, M. Mathieu, G. Ben Arous, Y. LeCun, "The Loss Surfaces of
Multilayer Networks", AISTATS 2015, PMLR 38:192–204, arXiv:1412.0233.
L. F. Cugliandolo, J. Kurchan, "Analytical solution of the off-equilibrium dynamics of a
long-range spin-glass model", Phys. Rev. Lett. 71, 173 (1993), doi:10.1103/PhysRevLett.71.173,
arXiv:cond-mat/9303036 (descent ends near the threshold: figure "spinglass_threshold").
"""
import math
import time

import numpy as np

from .. import _seeds, _validate
from .._backend import array_namespace, device_name, get_xp, to_numpy
from .._io import check_output_dir
from .._progress import Progress
from .._validate import InputError
from ..analytic import spinglass as sg
from ..compare import spinglass as cmp
from ..sampling import spinglass as pspin
from . import _run

__all__ = ["SPIN_PS", "SPIN_SIM", "SPIN_COUNT", "simulate_spinglass", "check_spinglass",
           "figure_spinglass_complexity", "figure_spinglass_minima", "figure_spinglass_count",
           "minima_count_study", "hamiltonians_needed", "SPIN_THRESHOLD", "threshold_study",
           "threshold_curves", "figure_spinglass_threshold"]

#: interaction orders of the spin-glass figures
SPIN_PS = (3, 4)
#: complexity-curve points per level
COMPLEXITY_POINTS = {"smoke": 150, "quick": 600, "full": 2000}
#: spin-glass simulation sizes per level: (N, starts) pairs
SPIN_SIM = {"smoke": ((12, 16), (16, 16)),
            "quick": ((25, 100), (50, 100), (75, 48)),
            "full": ((25, 400), (50, 400), (100, 400), (200, 200), (400, 100))}
#: count study per level (figure "spinglass_count", :func:`minima_count_study`): at every N of
#: ``Ns`` the distinct minima found by descent from nested numbers of random ``starts``; at the
#: ``saddle_Ns`` also the critical points of index ``saddle_ks`` found by Newton from the nested
#: ``newton_starts`` of that N (with their mirror images); ``gue`` GOE samples per exact mean.
#: The number of Hamiltonians per N follows the rule of :func:`hamiltonians_needed`: target
#: standard error ``target_rel_stderr`` x the exact mean, per-Hamiltonian spread from the first
#: ``pilot`` Hamiltonians, at most ``cap``.  Measured spread (sd/mean of the count): ~0.2 for
#: the minima at N = 8-20; 0.25, 0.28, 0.33 for k = 0, 1, 2 at N = 6 (100 Hamiltonians); 0.2
#: for k = 1, 2 at N = 8 (40).  Quick: 4%, so a 10% shortfall is 2.5 s.e. (20-70 Hamiltonians
#: per N, capped at 48: N = 6 reaches ~4.5%).  Smoke: 8% (a 32% shortfall is 4 s.e.), with a
#: pilot of 16 so that the standard error itself is stable.  Saturation (the mean count
#: stops growing, paired over Hamiltonians): descent at ~64 starts for N = 6-8, ~256 for
#: N = 12, ~200-400 for N = 16-20; Newton with mirror images, which is drawn to the
#: high-index points near u = 0, at ~400-800 starts for N = 6, ~1600 for N = 8, ~6400 for
#: N = 10 (k <= 2), so the saddles are counted at N <= 8 (quick) and N <= 10 (full).
SPIN_COUNT = {"smoke": {"Ns": (6, 8), "starts": (32, 128), "saddle_Ns": (6,), "saddle_ks": (1, 2),
                        "newton_starts": (200, 800), "target_rel_stderr": 0.08, "pilot": 16,
                        "cap": 32, "gue": 4000},
              "quick": {"Ns": (6, 8, 12, 16, 20), "starts": (25, 50, 100, 200),
                        "saddle_Ns": (6, 8), "saddle_ks": (1, 2),
                        "newton_starts": {6: (100, 200, 400, 800), 8: (200, 400, 800, 1600)},
                        "target_rel_stderr": 0.04, "pilot": 12, "cap": 48, "gue": 20000},
              "full": {"Ns": (6, 8, 10, 14, 18, 22, 26), "starts": (50, 100, 200, 400, 800),
                       "saddle_Ns": (6, 8, 10), "saddle_ks": (1, 2, 3),
                       "newton_starts": {6: (200, 400, 800, 1600), 8: (400, 800, 1600, 3200),
                                         10: (800, 1600, 3200, 6400, 12800)},
                       "target_rel_stderr": 0.025, "pilot": 24, "cap": 200, "gue": 200000}}
#: Newton iterations of the counting searches (find_critical_points' ``maxiter``; its default is
#: 200): a start that has not converged in 30 steps wanders and converges rarely, while each
#: extra iteration costs as much as the first.  Measured: every index count of 10 Hamiltonians
#: at N = 8 (1600 starts) is the same with 12, 20, 30, 60, 100 and 200 iterations, and of 6 at
#: N = 10 (12800 starts) the same with 30 and 200, at a fifth to a seventh of the time.
COUNT_NEWTON_MAXITER = 30
#: energy above the highest critical point found shown by the index-fraction panel, and its
#: margin on both sides (energy per site)
INDEX_PANEL_TOP, INDEX_PANEL_MARGIN = 0.2, 0.1
#: the whole real line for the finite-N mean: u = 50 is far above every critical energy
#: (|u| <= E_inf(p) < 2 at large N; at small N the GOE tail beyond t = 50 sqrt(p/(2(p-1)))
#: has probability below exp(-N 1000))
U_WHOLE_LINE = 50.0


def _index_theory(runs, p):
    """The semicircle index-fraction line on a window covering every run's energies."""
    E_inf = sg.E_inf(p)
    u_all = [u for r in runs for u in r["points"]["energy_per_site"]] or [-E_inf, E_inf]
    lo = min(min(u_all), -E_inf) - INDEX_PANEL_MARGIN
    hi = max(max(u_all), INDEX_PANEL_TOP) + INDEX_PANEL_MARGIN
    return cmp.index_fraction_curve(p, lo, hi)


#: iterations of the two searches of :func:`simulate_spinglass` (the defaults of
#: :func:`rmtland.sampling.spinglass.find_critical_points`): Newton, and the descent of the
#: minima search
NEWTON_MAXITER, DESCENT_MAXITER = 200, 5000


def _spinglass_bytes(N, starts, p):
    """Peak memory of :func:`simulate_spinglass` (bytes): the coupling tensor (``N^p``) and
    the searches' points, gradients, Riemannian Hessians and eigenvectors (``6 N^2`` per
    start, as :func:`rmtland.sampling.spinglass.find_critical_points` plans them)."""
    return 8 * N ** p + 8 * 6 * starts * N * N


def _spinglass_operations(N, starts, p):
    """Work of :func:`simulate_spinglass` (multiply-adds, plus
    :data:`rmtland._validate.LOOP_OPERATIONS` per iteration): every descent step contracts
    the tensor once per start (``p N^p``), every Newton step also forms and diagonalises the
    ``N x N`` Hessian (``10 N^3``); the minima search runs descent then Newton, the other
    Newton only."""
    loop = _validate.LOOP_OPERATIONS
    descent = starts * p * N ** p + loop
    newton = starts * (2 * p * N ** p + 10 * N ** 3) + loop
    return DESCENT_MAXITER * descent + 2 * NEWTON_MAXITER * newton


def check_spinglass(p, N, starts, *, device="cpu", max_bytes=None):
    r"""The up-front check of :func:`simulate_spinglass` (also of ``rmtland simulate
    spinglass`` and of the sweep kind ``"spinglass"``): ``p`` in [2, MAX_P], ``N >= 2``,
    ``starts >= 1``, the coupling tensor within
    :data:`rmtland.sampling.spinglass.MAX_COUPLING_BYTES`, then the memory
    (:func:`_spinglass_bytes`) within :func:`rmtland.linalg.dense.memory_budget` on
    ``device`` (or ``max_bytes``) and the work (:func:`_spinglass_operations`) within
    :data:`rmtland._validate.WORK_MAX`, from the sizes alone; a refusal names ``N`` or
    ``starts`` and its largest value given the other.  Returns ``{"bytes", "operations"}``.
    Raises :class:`InputError`.
    """
    from ..linalg.dense import memory_budget
    p = _validate.integer("p", p, 2)
    if p > pspin.MAX_P:
        raise InputError(f"p must be an integer in [2, {pspin.MAX_P}] (the coupling tensor has "
                         f"N**p entries), got {p}")
    N = _validate.integer("N", N, 2)
    starts = _validate.integer("starts", starts, 1)
    if 8 * N ** p > pspin.MAX_COUPLING_BYTES:
        raise InputError(f"N = {N} with p = {p} needs a coupling tensor of "
                         f"{8 * N ** p / 2**30:.1f} GiB (> "
                         f"{pspin.MAX_COUPLING_BYTES / 2**30:.0f} GiB allowed); reduce N")
    xp = get_xp(device)
    sizes = {"N": N, "starts": starts}
    what = f"the searches (p = {p}, N = {N}, starts = {starts})"
    nbytes, ops = _validate.within_budget(
        sizes, _validate.Budget(lambda **s: _spinglass_bytes(**s, p=p),
                                memory_budget(xp, max_bytes)[1], what=what,
                                where="the GPU" if xp is not np else "the host"),
        _validate.Budget(lambda **s: _spinglass_operations(**s, p=p), _validate.WORK_MAX,
                         what=what, unit="operations"), minimum={"N": 2, "starts": 1})
    return {"bytes": nbytes, "operations": ops}


def simulate_spinglass(p, N, starts, *, seed=0, device="cpu", out=None, pdf=False,
                       progress=True, tol=1e-10):
    r"""Sample one spherical :math:`p`-spin Hamiltonian of size ``N`` and find its critical
    points from ``starts`` random starts twice: minima by Riemannian descent plus Newton, and
    critical points of any index by Newton on the sphere
    (:func:`rmtland.sampling.spinglass.find_critical_points`); merge the two sets and compare
    them with the theory (:func:`rmtland.compare.spinglass.summarize_critical_points`).

    Returns the result dict (``p``, ``N``, ``starts``, ``seed``, ``device``,
    ``critical_points`` (distinct ones found), ``minima``, ``minima_energy_mean``,
    ``minima_energy_std``, ``E_0``, ``E_inf``, ``max_gradient_norm`` (:math:`|\mathrm{grad}|/N`),
    ``index_fraction_mean_abs_error`` (points vs the semicircle law), ``seconds``, versions,
    and ``points``: energies and indices).  With ``out``, writes ``out/result.json`` and
    ``out/spinglass.png``.

    Its first step is :func:`check_spinglass`: bad parameters, and sizes whose memory or work
    would not fit, are refused (:class:`rmtland._validate.InputError`) before anything is
    allocated.
    """
    check_spinglass(p, N, starts, device=device)
    if out is not None:
        check_output_dir(out)                     # before any computing
    xp = get_xp(device)
    device_used = device_name(xp)
    t0 = time.perf_counter()
    s_J, s_min, s_any = _seeds.children(seed, 3)
    J = pspin.sample_couplings(N, p, rng=s_J, device=device)
    found = []
    for kind, child in (("minima", s_min), ("any", s_any)):
        bar = Progress(1, f"{'minima' if kind == 'minima' else 'critical points'} N={N}, "
                          f"{starts} starts (iterations)") if progress else None
        found.append(pspin.find_critical_points(J, starts=starts, rng=child, kind=kind, tol=tol,
                                                progress=bar))
        if bar:
            bar.close()
    sigma = xp.concatenate([f["sigma"] for f in found])
    u = np.concatenate([to_numpy(f["energy_per_site"]) for f in found])
    idx = np.concatenate([to_numpy(f["index_count"]) for f in found])
    gnorm = np.concatenate([to_numpy(f["grad_norm"]) for f in found])
    reps = to_numpy(pspin.distinct_points(sigma)[0]) if sigma.shape[0] else np.zeros(0, int)
    summary = cmp.summarize_critical_points(u[reps], idx[reps], gnorm[reps], N, p)
    result = {"p": int(p), "N": int(N), "starts": int(starts), "seed": seed,
              "device": device_used, **{k: v for k, v in summary.items() if k != "points"},
              "seconds": None, "versions": _run.versions(), "points": summary["points"]}
    result["seconds"] = time.perf_counter() - t0
    if out is not None:
        from ..plotting.spinglass import plot_spinglass_minima

        def draw():
            return plot_spinglass_minima([result], _index_theory([result], p))[0]
        result["files"] = _run.figure_names("spinglass", pdf) + ["result.json"]
        _run.write_run(out, {"result.json": result}, [("spinglass", draw)], pdf,
                       owned=_run.figure_names("spinglass", True))
    return result


@_run.register("spinglass_complexity", kind="theory", claim=(
    "Critical points of the spherical p-spin glass: below -E_inf only minima survive in "
    "exponential number, index-k critical points exist in exponential number only above "
    "-E_k, and -E_0 < -E_1 < ... < -E_inf (Auffinger, Ben Arous & Cerny 2013)."))
def figure_spinglass_complexity(quick=True, *, smoke=False, ps=SPIN_PS,
                                extra_summary=None):
    r"""Figure "spinglass_complexity": :math:`\Theta_{k,p}(u)` for :math:`k = 0..5` and
    :math:`\Theta_p(u)` with the thresholds :math:`-E_k` and :math:`-E_\infty`, for the first
    :math:`p` of ``ps``; the summary tabulates :math:`E_k` (:math:`k = 0..5`) and
    :math:`E_\infty` for every :math:`p` of ``ps`` (ABC13 Thms. 2.5, 2.8, Eq. (2.13))."""
    from ..plotting.spinglass import plot_complexity
    lvl = _run.level(quick, smoke)
    n_points = COMPLEXITY_POINTS[lvl]
    curves = cmp.complexity_curves(ps[0], range(6), n_points=n_points)
    def draw():
        return plot_complexity(curves)[0]
    table = [{"p": int(p), "E_inf": sg.E_inf(p),
              "E_k": {str(k): sg.threshold(k, p) for k in range(6)},
              "complexity_at_minus_E_inf": float(sg.complexity_index([-sg.E_inf(p)], p, 0)[0])}
             for p in ps]
    summary = {"thresholds": table}
    summary.update(extra_summary or {})
    return {"name": "spinglass_complexity", "claim": _run.FIGURES["spinglass_complexity"].claim,
            "draw": draw, "parameters": {"level": lvl, "ps": list(ps), "ks": list(range(6)),
                                           "n_points": n_points},
            "summary": summary, "curves": curves}


@_run.register("spinglass_minima", kind="simulation", claim=(
    "Minima found by Riemannian descent from random starts in sampled spherical 3-spin "
    "glasses (N = 25-75) lie above the threshold -E_inf, not in the band [-E_0, -E_inf] of "
    "Auffinger, Ben Arous & Cerny (2013): 97-100% above -E_inf at N = 25-100, as gradient "
    "dynamics predicts (Cugliandolo & Kurchan 1993). The index fraction k/(N-1) of every "
    "critical point found follows the semicircle law in its energy (Choromanska et al. 2015) "
    "up to a finite-N shift: k - (N-1) F_sc(2u/E_inf) averages about -0.3 eigenvalues "
    "(-0.3 to -0.5 at u < 0) at N = 50-75."))
def figure_spinglass_minima(quick=True, *, smoke=False, device="cpu", seed=0,
                            p=SPIN_PS[0], extra_summary=None):
    r"""Figure "spinglass_minima": energies of the minima found for several :math:`N` against
    the band :math:`[-E_0, -E_\infty]`, and the index fraction of every critical point found
    against the semicircle law (one Hamiltonian per :math:`N`, :data:`SPIN_SIM` sizes).

    Measured: almost every minimum found lies above :math:`-E_\infty` (the per-run
    ``minima_fraction_above_minus_E_inf`` of the summary; an audit found 97-100% at
    :math:`N` = 25-100 and 0-2.7% in the band), the threshold phenomenon of gradient dynamics
    (Cugliandolo & Kurchan, PRL 71, 173 (1993), doi:10.1103/PhysRevLett.71.173), not the
    band where ABC13 count the minima (:func:`threshold_study` follows it in :math:`N`).
    Each run also reports the finite-:math:`N` shift of the index against the semicircle
    law, :math:`k - (N-1)F_{sc}(2u/E_\infty)`, mean ± s.e. over the critical points found,
    overall and at :math:`u < 0` (:func:`rmtland.compare.spinglass.index_shift`; quick sizes,
    seeds 0-1: -0.05 to -0.08 at :math:`N` = 25, -0.21 to -0.39 at :math:`N` = 50-75, and
    -0.34 to -0.49 at :math:`u < 0` there; the audit: about -0.3 overall and -0.4 to -0.65 at
    :math:`u < 0` over :math:`N` = 40-80).  No :math:`1/N` correction to the index law is
    derived here, and none is known to us: the shift is an observation."""
    from ..plotting.spinglass import plot_spinglass_minima
    lvl = _run.level(quick, smoke)
    seeds = _seeds.children(seed, len(SPIN_SIM[lvl]))
    bar = Progress(len(seeds), "spin-glass critical points")
    runs = []
    for i, ((N, starts), child) in enumerate(zip(SPIN_SIM[lvl], seeds)):
        runs.append(simulate_spinglass(p, N, starts, seed=int(child.generate_state(1)[0]),
                                       device=device, progress=False))
        bar(i + 1)
    bar.close()
    def draw():
        return plot_spinglass_minima(runs, _index_theory(runs, p))[0]
    summary = {"runs": [{k: v for k, v in r.items() if k not in ("points", "versions")}
                        for r in runs]}
    summary.update(extra_summary or {})
    return {"name": "spinglass_minima", "claim": _run.FIGURES["spinglass_minima"].claim,
            "draw": draw,
            "parameters": {"level": lvl, "p": p, "sizes": [list(x) for x in SPIN_SIM[lvl]],
                           "seed": seed, "device": device},
            "summary": summary, "curves": {"runs": runs}}


def hamiltonians_needed(sd, target, *, pilot, cap):
    r"""The number of Hamiltonians of the count study at one :math:`N`: the fewest whose
    standard error :math:`\mathrm{sd}_k/\sqrt H` meets ``target[k]`` for every index :math:`k`,
    never fewer than the ``pilot``, never more than ``cap``:

    .. math:: H = \min\bigl(\mathrm{cap},\ \max\bigl(\mathrm{pilot},\
              \max_k \lceil (\mathrm{sd}_k/\mathrm{target}_k)^2\rceil\bigr)\bigr).

    Parameters
    ----------
    sd : sequence of float
        Per-Hamiltonian standard deviations of the counts, one per index (from the pilot).
    target : sequence of float
        Target standard errors, one per index, ``> 0``.
    pilot, cap : int
        Least and most Hamiltonians, ``2 <= pilot <= cap``.

    Returns
    -------
    H : int
        The number of Hamiltonians to sample.
    needed : list of int
        The uncapped :math:`\lceil(\mathrm{sd}_k/\mathrm{target}_k)^2\rceil` per index.
    """
    pilot = _validate.integer("pilot", pilot, 2)
    cap = _validate.integer("cap", cap, pilot)
    sd = [_validate.nonnegative("sd", s) for s in sd]
    target = [_validate.positive("target", t) for t in target]
    if len(sd) != len(target) or not sd:
        raise InputError(f"sd and target must be non-empty and of one length, got {len(sd)} "
                         f"and {len(target)}")
    needed = [int(math.ceil((s / t) ** 2)) for s, t in zip(sd, target)]
    return min(cap, max(pilot, max(needed))), needed


def _mirror(xp, sigma, index_count, N, p):
    r"""Add the mirror images :math:`-\sigma` of critical points: :math:`H_N(-\sigma) =
    (-1)^p H_N(\sigma)`, so :math:`-\sigma` is a critical point whenever :math:`\sigma` is, and
    its Riemannian Hessian is :math:`(-1)^p` times that at :math:`\sigma` (Euclidean Hessian of
    degree :math:`p-2`, shift :math:`-pu` with :math:`u \to (-1)^p u`): index
    :math:`N-1-k` for odd :math:`p`, :math:`k` for even :math:`p`.  Newton's iteration commutes
    with :math:`\sigma \to -\sigma` and the starts are symmetric, so this doubles the starts
    at no cost (tests/test_spinglass_count.py checks the images are critical points of that
    index)."""
    mirrored = (N - 1) - index_count if p % 2 else index_count
    return xp.concatenate([sigma, -sigma]), xp.concatenate([index_count, mirrored])


def _nested_counts(J, p, kind, levels, ks, ss):
    r"""Distinct critical points of index ``ks`` found in ``J`` from the first ``levels[j]``
    random starts, for every ``j``: starts are added in blocks (one
    :func:`~rmtland.sampling.spinglass.find_critical_points` call each, seed ``child(ss, j)``)
    and the points found so far merged, so the counts are nested and non-decreasing.  Newton
    (``kind="any"``) points come with their mirror images (:func:`_mirror`).  Returns an int
    array ``(len(ks), len(levels))``."""
    xp = array_namespace(J)
    N = J.shape[0]
    sigma = index_count = None
    out = np.zeros((len(ks), len(levels)), dtype=np.int64)
    done = 0
    for j, s in enumerate(levels):
        found = pspin.find_critical_points(J, starts=s - done, rng=_seeds.child(ss, j),
                                           kind=kind, maxiter=COUNT_NEWTON_MAXITER)
        done = s
        sig, idx = found["sigma"], found["index_count"]
        if kind == "any":
            sig, idx = _mirror(xp, sig, idx, N, p)
        sigma = sig if sigma is None else xp.concatenate([sigma, sig])
        index_count = idx if index_count is None else xp.concatenate([index_count, idx])
        if sigma.shape[0]:
            reps = pspin.distinct_points(sigma)[0]
            sigma, index_count = sigma[reps], index_count[reps]
        hist = np.bincount(to_numpy(index_count).astype(np.int64), minlength=N)
        out[:, j] = hist[list(ks)]
    return out


def _levels(name, levels):
    levels = [_validate.integer(name, s, 1) for s in levels]
    if not levels or any(b <= a for a, b in zip(levels, levels[1:])):
        raise InputError(f"{name} must be a non-empty increasing sequence of starts, "
                         f"got {levels}")
    return levels


def minima_count_study(p, Ns, starts, gue, *, saddle_Ns=(), saddle_ks=(),
                       newton_starts=(), target_rel_stderr=0.04, pilot=12, cap=48, seed=0,
                       device="cpu"):
    r"""Critical points found in sampled spherical :math:`p`-spin Hamiltonians against the exact
    finite-:math:`N` mean number :math:`\mathbb{E}\,\mathrm{Crt}_{N,k}(\mathbb{R})` of ABC13
    Thm. 2.3 (:func:`rmtland.compare.spinglass.mean_critical_points`, ``gue`` GOE samples,
    :math:`u` = :data:`U_WHOLE_LINE`), one row per :math:`(N, k)`.

    Index 0 at every :math:`N` of ``Ns``: distinct minima found by Riemannian descent
    (``kind="minima"``) from the nested numbers of random ``starts``.  Index ``k`` of
    ``saddle_ks`` at the :math:`N` of ``saddle_Ns``: distinct critical points of that index
    found by Newton on the sphere (``kind="any"``) from the nested ``newton_starts`` (one
    sequence for every :math:`N`, or a dict :math:`N` → sequence), with
    their mirror images :math:`-\sigma` (:func:`_mirror`).  Both searches run on the same
    Hamiltonians.

    **How many Hamiltonians.**  At each :math:`N` the exact means come first; the target
    standard error of index :math:`k` is ``target_rel_stderr`` :math:`\times`
    :math:`\mathbb{E}\,\mathrm{Crt}_{N,k}`.  The first ``pilot`` Hamiltonians give the
    per-Hamiltonian standard deviation :math:`\mathrm{sd}_k` of the count from the most starts,
    and :func:`hamiltonians_needed` the total :math:`H` (the pilot included; the seeds of
    Hamiltonian :math:`h` do not depend on :math:`H`).

    Returns
    -------
    dict
        ``p``, ``target_rel_stderr``, ``pilot``, ``cap``, ``rule`` (the rule in words) and
        ``rows``, each with ``N``, ``k``, ``method`` (``"descent"`` or ``"newton+mirror"``),
        ``hamiltonians`` (:math:`H` at this :math:`N`), ``hamiltonians_needed`` (uncapped,
        this index), ``pilot_sd``, ``target_stderr``, ``starts_levels``, ``found_mean`` and
        ``found_stderr`` per level (standard error :math:`\mathrm{sd}/\sqrt H` over the
        Hamiltonians), ``found_sd`` and ``found_rel_stderr`` (achieved, most starts),
        ``found_over_exact`` per level, ``theory_mean``, ``theory_stderr``,
        ``saturation_starts`` (the fewest starts whose mean count is within one standard error
        of the count from the most starts), ``last_level_gain`` and its paired
        ``last_level_gain_stderr`` (mean extra points per Hamiltonian found by the last block
        of starts), ``saturated`` (``saturation_starts`` below the most starts), and
        ``z_most_starts`` (most starts' mean against the exact mean, both standard errors
        combined).
    """
    p = _validate.integer("p", p, 2)
    Ns = [_validate.integer("N", N, 2) for N in Ns]
    starts = _levels("starts", starts)
    gue = _validate.integer("gue", gue, 2)
    target_rel_stderr = _validate.positive("target_rel_stderr", target_rel_stderr)
    pilot = _validate.integer("pilot", pilot, 2)
    cap = _validate.integer("cap", cap, pilot)
    saddle_Ns = [_validate.integer("saddle_Ns", N, 2) for N in saddle_Ns]
    saddle_ks = sorted({_validate.integer("saddle_ks", k, 1) for k in saddle_ks})
    if saddle_Ns and saddle_ks:
        if isinstance(newton_starts, dict):
            missing = sorted(set(saddle_Ns) - set(newton_starts))
            if missing:
                raise InputError(f"newton_starts must give the starts of every N of saddle_Ns, "
                                 f"missing {missing}")
            newton_starts = {N: _levels("newton_starts", newton_starts[N]) for N in saddle_Ns}
        else:
            newton_starts = dict.fromkeys(saddle_Ns, _levels("newton_starts", newton_starts))
        if not set(saddle_Ns) <= set(Ns):
            raise InputError(f"saddle_Ns must be among Ns = {Ns}, got {saddle_Ns}")
    seeds = _seeds.children(seed, len(Ns))
    bar = Progress(len(Ns), "critical-point counts")
    rows = []
    for i, (N, ss_N) in enumerate(zip(Ns, seeds)):
        sk = saddle_ks if N in saddle_Ns else []
        ks = [0] + sk
        th_seeds = _seeds.children(_seeds.child(ss_N, 0), len(ks))
        exact = [cmp.mean_critical_points(N, p, k, U_WHOLE_LINE, samples=gue, rng=s,
                                          device=device) for k, s in zip(ks, th_seeds)]
        target = [target_rel_stderr * th["mean"] for th in exact]

        def one(h):
            s_J, s_min, s_any = _seeds.children(_seeds.child(ss_N, 1 + h), 3)
            J = pspin.sample_couplings(N, p, rng=s_J, device=device)
            c = [_nested_counts(J, p, "minima", starts, (0,), s_min)[0]]
            if sk:
                c += list(_nested_counts(J, p, "any", newton_starts[N], sk, s_any))
            return c
        counts = [one(h) for h in range(pilot)]                  # [h][k index][level]
        pilot_sd = [float(np.std([c[a][-1] for c in counts], ddof=1)) for a in range(len(ks))]
        H, needed = hamiltonians_needed(pilot_sd, target, pilot=pilot, cap=cap)
        counts += [one(h) for h in range(pilot, H)]
        for a, (k, th) in enumerate(zip(ks, exact)):
            c = np.array([x[a] for x in counts], dtype=float)    # (H, levels)
            levels = starts if k == 0 else newton_starts[N]
            mean = c.mean(0)
            se = c.std(0, ddof=1) / math.sqrt(H)
            sat = next(s for s, m in zip(levels, mean) if m >= mean[-1] - se[-1])
            gain = c[:, -1] - c[:, -2] if len(levels) > 1 else np.zeros(H)
            rows.append({
                "N": N, "k": k, "method": "descent" if k == 0 else "newton+mirror",
                "hamiltonians": H, "hamiltonians_needed": needed[a],
                "pilot_sd": pilot_sd[a], "target_stderr": target[a],
                "starts_levels": list(levels), "found_mean": mean.tolist(),
                "found_stderr": se.tolist(), "found_sd": float(c[:, -1].std(ddof=1)),
                "found_rel_stderr": float(se[-1] / th["mean"]),
                "found_over_exact": (mean / th["mean"]).tolist(),
                "theory_mean": th["mean"], "theory_stderr": th["stderr"],
                "saturation_starts": int(sat), "saturated": bool(sat < levels[-1]),
                "last_level_gain": float(gain.mean()),
                "last_level_gain_stderr": float(gain.std(ddof=1) / math.sqrt(H)),
                "z_most_starts": float((mean[-1] - th["mean"]) / math.hypot(se[-1],
                                                                             th["stderr"]))})
        bar(i + 1)
    bar.close()
    return {"p": p, "rows": rows, "target_rel_stderr": target_rel_stderr, "pilot": pilot,
            "cap": cap,
            "rule": ("H = min(cap, max(pilot, max_k ceil((sd_k / (target_rel_stderr * "
                     "E Crt_{N,k}))^2))), sd_k from the first pilot Hamiltonians")}


@_run.register("spinglass_count", kind="simulation", claim=(
    "At small N the number of distinct critical points of index k found from enough random "
    "starts (minima by descent, saddles of index 1, 2 by Newton) matches, within a standard "
    "error sized to detect a 10% shortfall, the exact finite-N mean number of critical points "
    "of index k of the spherical p-spin glass, computed from the GOE formula of Auffinger, "
    "Ben Arous & Cerny (2013, Thm. 2.3)."))
def figure_spinglass_count(quick=True, *, smoke=False, device="cpu", seed=0,
                           p=SPIN_PS[0], extra_summary=None):
    r"""Figure "spinglass_count": :func:`minima_count_study` with the :data:`SPIN_COUNT`
    parameters of the level."""
    from ..plotting.spinglass import plot_minima_count
    lvl = _run.level(quick, smoke)
    cfg = SPIN_COUNT[lvl]
    study = minima_count_study(p, seed=seed, device=device, **cfg)
    def draw():
        return plot_minima_count(study)[0]
    summary = {k: study[k] for k in ("target_rel_stderr", "pilot", "cap", "rule", "rows")}
    summary.update(extra_summary or {})
    return {"name": "spinglass_count", "claim": _run.FIGURES["spinglass_count"].claim,
            "draw": draw,
            "parameters": {"level": lvl, "p": p, **{k: list(v) if isinstance(v, tuple) else v
                                                     for k, v in cfg.items()},
                           "seed": seed, "device": device},
            "summary": summary, "curves": {"study": study}}


# --------------------------------------------------------------------------- threshold study
#: threshold study per level: sizes N, Hamiltonians per N, random starts per Hamiltonian, and
#: the descent's iteration cap (find_critical_points' ``descent_maxiter``).  The cost is
#: about starts x N^3 x (descent iterations), and the iterations grow with N (the slow
#: approach to the threshold, ~300 at N = 20 to ~1000-3500 at N = 75-100, set by the slowest
#: start).  Measured with one BLAS thread on a shared 2-core CPU, one Hamiltonian with 16
#: starts takes ~0.09 s at N = 20, ~0.17 s at N = 45, ~0.6 s at N = 70 and ~3 s at N = 100:
#: quick ~10 s in all; smoke ~1 s.  Hamiltonians, not starts, are the independent samples
#: (minima_band_statistics), hence more Hamiltonians than starts.
SPIN_THRESHOLD = {"smoke": {"Ns": (10, 14, 20), "hamiltonians": 6, "starts": 8,
                            "descent_maxiter": 5000},
                  "quick": {"Ns": (20, 30, 45, 70), "hamiltonians": 10, "starts": 16,
                            "descent_maxiter": 5000},
                  "full": {"Ns": (25, 50, 100, 200, 400), "hamiltonians": 40, "starts": 64,
                           "descent_maxiter": 20000}}
#: exponent of the fit u(N) = u_inf + c N^(-gamma) when gamma is not identifiable from the
#: data (free-gamma standard error above THRESHOLD_GAMMA_REL_SE x gamma): 2/3, the
#: Tracy-Widom scale of the lowest Hessian eigenvalue (a minimum at energy u needs the bottom
#: edge of sqrt(p(p-1)) GOE - p u above 0, and that edge fluctuates on the scale N^(-2/3), so
#: minima reach u = -E_inf + O(N^(-2/3))) -- a heuristic for the exponent, not a derivation;
#: THRESHOLD_GAMMA_ALT = 1 (the generic 1/N correction) is fitted too, to show how much
#: u_inf depends on the choice.
THRESHOLD_GAMMA, THRESHOLD_GAMMA_ALT = 2.0 / 3.0, 1.0
#: gamma counts as identifiable when the free fit's standard error is below this fraction of
#: gamma (quick sizes: 0.33-0.96 measured over seeds 0-4, so gamma is fixed there)
THRESHOLD_GAMMA_REL_SE = 0.2
#: the fitted curve is drawn from 0.9 min(N) to this multiple of max(N)
THRESHOLD_CURVE_REACH = 10.0


def threshold_study(p, Ns, hamiltonians, starts, *, seed=0, device="cpu", descent_maxiter=5000,
                    gamma=THRESHOLD_GAMMA):
    r"""Where the minima found by Riemannian descent sit as :math:`N` grows.

    For each :math:`N`, ``hamiltonians`` spherical :math:`p`-spin Hamiltonians are sampled and
    the distinct minima reached by Riemannian gradient descent plus Newton from ``starts``
    random starts are found (:func:`rmtland.sampling.spinglass.find_critical_points`,
    ``kind="minima"``).  Per :math:`N`: the mean energy per site over Hamiltonians with its
    standard error (per-Hamiltonian means are the independent samples: minima of one
    Hamiltonian are correlated), the spread, and the fractions above :math:`-E_\infty`, in the
    band :math:`[-E_0, -E_\infty]` and below :math:`-E_0`
    (:func:`rmtland.compare.spinglass.minima_band_statistics`).

    The band is where ABC13 place the minima that exist in exponential number (Thms. 2.5,
    2.8); gradient dynamics, however, end near the threshold :math:`-E_\infty`, not in the band
    (Cugliandolo & Kurchan 1993, for the large-:math:`N` dynamics; proved for Langevin dynamics
    at low temperature by Sellke 2024).  The approach to the large-:math:`N` limit is fitted
    as :math:`u(N) = u_\infty + c N^{-\gamma}` by weighted least squares
    (:func:`rmtland.compare.metrics.fit_offset_power_law`): with :math:`\gamma` free, and with
    :math:`\gamma` fixed at ``gamma`` (:data:`THRESHOLD_GAMMA`, the reason there) and at
    :data:`THRESHOLD_GAMMA_ALT`.  The headline fit is the free one when :math:`\gamma` is
    identifiable (its standard error below :data:`THRESHOLD_GAMMA_REL_SE` times
    :math:`\gamma`), else the fixed one; ``z_vs_*``
    place its :math:`u_\infty` against :math:`-E_\infty` and :math:`-E_0` in units of its
    standard error.

    Returns
    -------
    dict
        ``p``, ``hamiltonians``, ``starts``, ``E_0``, ``E_inf``, ``rows`` (one per :math:`N`:
        the statistics above, plus ``starts_at_minimum``, the fraction of starts that ended at
        a converged minimum, and ``seconds``), ``fits`` (``"free"`` (``None`` when it fails),
        ``"gamma=2/3"``, ``"gamma=1"``), ``headline_fit``, ``gamma_identifiable``, ``u_inf``,
        ``u_inf_stderr``, ``gamma``, ``z_vs_minus_E_inf``, ``z_vs_minus_E_0``.

    References
    ----------
    A. Auffinger, G. Ben Arous, J. Černý, CPAM 66, 165 (2013), doi:10.1002/cpa.21422 (ABC13).
    L. F. Cugliandolo, J. Kurchan, "Analytical solution of the off-equilibrium dynamics of a
    long-range spin-glass model", Phys. Rev. Lett. 71, 173 (1993),
    doi:10.1103/PhysRevLett.71.173, arXiv:cond-mat/9303036.
    M. Sellke, "The threshold energy of low temperature Langevin dynamics for pure spherical
    spin glasses", Comm. Pure Appl. Math. (2024), arXiv:2305.07956.
    C. A. Tracy, H. Widom, "On orthogonal and symplectic matrix ensembles", Commun. Math.
    Phys. 177, 727 (1996), doi:10.1007/BF02099545 (the N^(-2/3) edge scale).
    """
    from ..compare.metrics import fit_offset_power_law
    Ns = [int(N) for N in Ns]
    if len(Ns) < 2 or len(set(Ns)) != len(Ns):
        raise InputError(f"Ns must hold at least two distinct sizes, got {Ns}")
    if int(hamiltonians) < 2:
        raise InputError(f"hamiltonians must be an integer >= 2 (the standard error is taken "
                         f"over Hamiltonians), got {hamiltonians}")
    seeds = _seeds.children(seed, 2 * len(Ns) * hamiltonians)
    bar = Progress(len(Ns) * hamiltonians, "threshold study (Hamiltonians)")
    rows = []
    for i, N in enumerate(Ns):
        t0 = time.perf_counter()
        energies, reached = [], 0
        for h in range(hamiltonians):
            j = 2 * (i * hamiltonians + h)
            J = pspin.sample_couplings(N, p, rng=seeds[j], device=device)
            found = pspin.find_critical_points(J, starts=starts, rng=seeds[j + 1],
                                               kind="minima", descent_maxiter=descent_maxiter)
            energies.append(to_numpy(found["energy_per_site"]))
            reached += int(to_numpy(found["converged"]).sum())
            bar(i * hamiltonians + h + 1)
        row = {"N": N, **cmp.minima_band_statistics(energies, p),
               "starts_at_minimum": reached / (starts * hamiltonians),
               "seconds": time.perf_counter() - t0}
        rows.append(row)
    bar.close()
    n = [r["N"] for r in rows]
    u = [r["mean"] for r in rows]
    se = [r["stderr"] for r in rows]
    fits = {"gamma=2/3": fit_offset_power_law(n, u, se, gamma=gamma),
            "gamma=1": fit_offset_power_law(n, u, se, gamma=THRESHOLD_GAMMA_ALT)}
    try:
        fits["free"] = fit_offset_power_law(n, u, se) if len(n) >= 3 else None
    except (RuntimeError, ValueError):           # curve_fit did not converge
        fits["free"] = None
    free = fits["free"]
    identifiable = bool(free is not None and free["gamma_stderr"] is not None
                        and free["gamma_stderr"] < THRESHOLD_GAMMA_REL_SE * free["gamma"])
    key = "free" if identifiable else "gamma=2/3"
    fit = fits[key]
    E0, Einf = sg.threshold(0, p), sg.E_inf(p)
    s = fit["u_inf_stderr"]
    return {"p": int(p), "hamiltonians": int(hamiltonians), "starts": int(starts),
            "descent_maxiter": int(descent_maxiter), "E_0": E0, "E_inf": Einf, "rows": rows,
            "fits": fits, "headline_fit": key, "gamma_identifiable": identifiable,
            "u_inf": fit["u_inf"], "u_inf_stderr": s, "gamma": fit["gamma"],
            "z_vs_minus_E_inf": (fit["u_inf"] + Einf) / s if s else None,
            "z_vs_minus_E_0": (fit["u_inf"] + E0) / s if s else None}


def threshold_curves(study):
    """The arrays :func:`rmtland.plotting.spinglass.plot_threshold` draws, from a
    :func:`threshold_study` dict (the fitted curve evaluated here, not in the plot)."""
    from ..compare.metrics import offset_power_law
    rows = study["rows"]
    col = {k: np.array([r[k] for r in rows], dtype=float)
           for k in ("N", "mean", "stderr", "std", "fraction_above", "fraction_above_stderr",
                     "fraction_in_band", "fraction_below")}
    fit = study["fits"][study["headline_fit"]]
    alt = study["fits"]["gamma=1"]
    grid = np.geomspace(0.9 * col["N"].min(), THRESHOLD_CURVE_REACH * col["N"].max(), 200)
    return {**col, "p": study["p"], "E_0": study["E_0"], "E_inf": study["E_inf"],
            "alt_fit_u": offset_power_law(grid, alt["u_inf"], alt["c"], alt["gamma"]),
            "alt_gamma": alt["gamma"], "alt_u_inf": alt["u_inf"],
            "alt_u_inf_stderr": alt["u_inf_stderr"],
            "hamiltonians": study["hamiltonians"], "starts": study["starts"],
            "fit_N": grid, "fit_u": offset_power_law(grid, fit["u_inf"], fit["c"],
                                                     fit["gamma"]),
            "u_inf": study["u_inf"], "u_inf_stderr": study["u_inf_stderr"],
            "gamma": study["gamma"], "gamma_fixed": fit["gamma_fixed"],
            "gamma_stderr": fit["gamma_stderr"]}


@_run.register("spinglass_threshold", kind="simulation", claim=(
    "Minima found by Riemannian descent from random starts in spherical 3-spin glasses do "
    "not sit in the band [-E_0, -E_inf] of Auffinger, Ben Arous & Cerny (2013): at "
    "N = 20-70 about 95-98% lie above the threshold -E_inf (97-100% at N = 25-100 in an "
    "audit), and their mean energy falls towards -E_inf as N grows, the threshold phenomenon "
    "of gradient dynamics (Cugliandolo & Kurchan 1993). Extrapolated as u_inf + c N^(-2/3), "
    "u_inf lies within 1.5 standard errors of -E_inf, but these sizes cannot tell -E_inf from "
    "-E_0 (0.024 apart), and a 1/N fit would leave u_inf above -E_inf."))
def figure_spinglass_threshold(quick=True, *, smoke=False, device="cpu", seed=0,
                               p=SPIN_PS[0], extra_summary=None):
    r"""Figure "spinglass_threshold": :func:`threshold_study` at the :data:`SPIN_THRESHOLD`
    sizes of the level; (a) minima energies against :math:`N` (mean ± s.e. over Hamiltonians,
    spread, fitted curve, :math:`u_\infty` ± s.e., :math:`-E_0` and :math:`-E_\infty`); (b)
    fractions above :math:`-E_\infty` and in the band against :math:`N` (ABC13; Cugliandolo &
    Kurchan, PRL 71, 173 (1993), doi:10.1103/PhysRevLett.71.173)."""
    from ..plotting.spinglass import plot_threshold
    lvl = _run.level(quick, smoke)
    cfg = SPIN_THRESHOLD[lvl]
    study = threshold_study(p, cfg["Ns"], cfg["hamiltonians"], cfg["starts"], seed=seed,
                            device=device, descent_maxiter=cfg["descent_maxiter"])
    curves = threshold_curves(study)

    def draw():
        return plot_threshold(curves)[0]
    summary = {k: study[k] for k in ("u_inf", "u_inf_stderr", "gamma", "z_vs_minus_E_inf",
                                     "z_vs_minus_E_0", "headline_fit", "gamma_identifiable",
                                     "E_0", "E_inf", "rows", "fits")}
    summary["fractions"] = {"N": [r["N"] for r in study["rows"]],
                            **{k: [r[k] for r in study["rows"]]
                               for k in ("fraction_above", "fraction_in_band",
                                         "fraction_below")}}
    summary.update(extra_summary or {})
    return {"name": "spinglass_threshold", "claim": _run.FIGURES["spinglass_threshold"].claim,
            "draw": draw,
            "parameters": {"level": lvl, "p": p, **{k: list(v) if isinstance(v, tuple) else v
                                                     for k, v in cfg.items()},
                           "gamma_fixed_value": THRESHOLD_GAMMA, "seed": seed,
                           "device": device},
            "summary": summary, "curves": {"study": study, "plot": curves}}

