"""Command line: ``rmtland`` (also ``python -m rmtland``).

Every computing command takes ``--json`` and then prints exactly one JSON object on stdout.
Exit codes (DESIGN.md, Contracts):

- 0: done;
- 1: an internal failure (one line on stderr; the traceback too with ``--debug``);
- 2: bad input (one line naming the parameter and its range), checked before any computing,
  the output directory included;
- 3: the requested device is unavailable (``--device gpu`` without a usable GPU);
- 130: interrupted (Ctrl-C): one line saying what was interrupted and what was kept.
"""
import argparse
import json
import re
import sys

from . import _validate
from ._backend import DeviceUnavailable
from ._version import __version__
from .analytic.hessian import EPS_MAX, PHI_MAX
from .analytic.spinglass import U_MAX

#: what argparse must read as a (negative) number rather than an option: every spelling of
#: a float that starts with "-", scientific notation and -inf/-nan included, so that the
#: validator (not argparse) decides and names the range
_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$",
                              re.IGNORECASE)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _arg(parse, check):
    """argparse type: ``parse`` the text (a non-number is passed on as text) and validate it
    with a :mod:`rmtland._validate` check, whose message names the parameter and its range."""
    def convert(text):
        try:
            value = parse(text)
        except ValueError:
            value = text
        try:
            return check(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return convert


def _real(name, check=_validate.finite):
    return _arg(float, lambda v: check(name, v))


def _whole(text):
    """An integer option's text: ``int`` spellings, and a float spelling of a whole number
    (``1e8``, ``2.0``) as that number, so the size checks (not the parser) judge it;
    ``1.5``, ``inf`` or ``nan`` stay refused by :func:`rmtland._validate.integer`."""
    try:
        return int(text)
    except ValueError:
        value = float(text)
        return int(value) if value.is_integer() else value


def _integer(name, minimum):
    return _arg(_whole, lambda v: _validate.integer(name, v, minimum))


_phi = _arg(float, lambda v: _validate.positive("phi", v, PHI_MAX))
_eps = _arg(float, lambda v: _validate.nonnegative("eps", v, EPS_MAX))
_u = _arg(float, lambda v: _validate.finite("u", v, U_MAX))


def _emit(obj, as_json, human):
    if as_json:
        print(json.dumps(obj, allow_nan=False))
    else:
        print(human(obj))


def _theory_hessian(args):
    from .analytic.hessian import PenningtonBahri, alpha0, eps_c
    law = PenningtonBahri(args.phi, args.eps)
    obj = {"phi": args.phi, "eps": args.eps, "index": law.index(), "eps_c": eps_c(args.phi),
           "alpha0": alpha0(args.phi) if args.phi < 1 else None,
           "support": law.support(),
           "atoms": [[loc, mass] for loc, mass in law.atoms()],
           "moments": law.moments(4).tolist(),
           "version": __version__}
    if args.phi >= 1:
        obj["alpha0_note"] = "undefined for phi >= 1: eps_c = 0 and the index jumps at eps = 0+"

    def human(o):
        lines = [f"Pennington-Bahri Hessian, phi = {o['phi']:g}, eps = {o['eps']:g}",
                 f"  index alpha        = {o['index']:.15g}",
                 f"  critical eps_c     = {o['eps_c']:.15g}",
                 "  3/2-law alpha0     = " + (f"{o['alpha0']:.15g}" if o["alpha0"] is not None
                                               else o["alpha0_note"]),
                 "  support            = " + ", ".join(f"[{a:.12g}, {b:.12g}]"
                                                       for a, b in o["support"]),
                 "  moments m1..m4     = " + ", ".join(f"{m:.12g}" for m in o["moments"])]
        if o["atoms"]:
            lines.append("  atoms (loc, mass)  = " + ", ".join(f"({a:g}, {m:.12g})"
                                                             for a, m in o["atoms"]))
        return "\n".join(lines)
    _emit(obj, args.json, human)
    return 0


def _theory_spinglass(args):
    from .analytic import spinglass as sg
    ks = args.k if args.k else [0]
    obj = {"p": args.p, "E_inf": sg.E_inf(args.p),
           "E_k": {str(k): sg.threshold(k, args.p) for k in ks},
           "complexity_at_E_inf": float(sg.complexity_index([-sg.E_inf(args.p)], args.p, 0)[0]),
           "version": __version__}
    if args.u is not None:
        obj["u"] = args.u
        obj["complexity_total"] = float(sg.complexity_total([args.u], args.p)[0])
        obj["complexity_by_index"] = {str(k): float(sg.complexity_index([args.u], args.p, k)[0])
                                      for k in ks}
        obj["index_fraction"] = float(sg.index_fraction([args.u], args.p)[0])

    def human(o):
        lines = [f"Spherical {o['p']}-spin spin glass (ABC13)",
                 f"  E_inf = {o['E_inf']:.15g}"]
        lines += [f"  E_{k} = {v:.15g}  (threshold -E_{k})" for k, v in o["E_k"].items()]
        if "u" in o:
            lines.append(f"  at u = {o['u']:g}: Theta_p = {o['complexity_total']:.12g}, "
                         + ", ".join(f"Theta_{k},p = {v:.12g}"
                                     for k, v in o["complexity_by_index"].items())
                         + f", index fraction {o['index_fraction']:.6g}")
        return "\n".join(lines)
    _emit(obj, args.json, human)
    return 0


def _verify(args):
    from .derivations import run_all
    derivations = run_all()
    checks = [c for d in derivations for c in d.checks]
    if args.json:
        print(json.dumps({"checks": [dict(c.as_dict(), derivation=d.title) for d in derivations
                                     for c in d.checks],
                          "passed": all(c.passed for c in checks)}, allow_nan=False))
    else:
        for d in derivations:
            print(d.title)
            for c in d.checks:
                print("  " + c.line())
        print(f"{sum(c.passed for c in checks)}/{len(checks)} checks passed")
    return 0 if all(c.passed for c in checks) else 1


def _simulate_hessian(args):
    from .experiments import simulate_hessian
    res = simulate_hessian(args.phi, args.eps, args.n, args.samples, seed=args.seed,
                           device=args.device, dtype=args.dtype, out=args.out, pdf=args.pdf,
                           progress=not args.no_progress, method=args.method,
                           probes=args.probes, steps=args.steps, degree=args.degree)

    def human(r):
        se = f" +- {r['index_stderr']:.2g}" if r["index_stderr"] is not None else ""
        return "\n".join([
            f"Pennington-Bahri Hessian, n = {r['n']} (m = {r['m']}, phi = n/m = "
            f"{r['phi_effective']:.6g}), eps = {r['eps']:g}, {r['samples']} samples, "
            f"seed {r['seed']}, {r['device']}",
            f"  index: simulated {r['empirical_index']:.6g}{se}, theory {r['theory_index']:.6g}",
            f"  KS distance {r['ks_distance']:.3g}" + (f", L1 distance {r['l1_distance']:.3g}"
                                                        if r["l1_distance"] is not None else ""),
            f"  {r['seconds']:.2f} s; wrote {', '.join(r.get('files', []))} in {args.out}"])
    _emit(res, args.json, human)
    return 0


def _fit(args):
    """``rmtland fit``: the file and every option are checked (exit 2, naming it) before the
    fit starts."""
    from .experiments.fit import FitConfig, fit_spectrum
    cfg = FitConfig(law=args.law, phi=args.phi, rule=args.outliers, bootstrap=args.bootstrap,
                    spikes=None if args.spikes is None else tuple(args.spikes),
                    spike_kind=args.spike_kind, seed=args.seed)
    res = fit_spectrum(args.spectrum, cfg, out=args.out, pdf=args.pdf)

    def human(r):
        lines = [f"{r['law']} fitted to {r['bulk_n']} of {r['n']} "
                 f"{'eigenvalues' if r['input'] == 'eigenvalues' else 'SLQ probes'} "
                 f"(minimum Cramer-von Mises; outlier rule {r['rule']})"]
        for k, v in r["params"].items():
            se = " (fixed)" if v["fixed"] else (f" +- {v['stderr']:.3g}" if v["stderr"]
                                                is not None else "")
            lines.append(f"  {k:7s} = {v['value']:.6g}{se}")
        pv = "" if r["p_value"] is None else f", p-value {r['p_value']:.3g}"
        lines.append(f"  KS {r['ks']:.4g}{pv} ({r['bootstrap']['replicates']} "
                     f"{r['bootstrap']['kind']} bootstrap replicates)")
        lines.append("  support " + ", ".join(f"[{a:.6g}, {b:.6g}]" for a, b in r["edges"]))
        for o in r["outliers"]:
            sp = "-" if o["spike"] is None else f"{o['spike']:.4g}"
            pr = "-" if o["predicted"] is None else f"{o['predicted']:.4g}"
            lines.append(f"  outlier {o['value']:.6g}: spike {sp}, predicted {pr}")
        lines.append(f"  {r['seconds']:.2f} s; wrote {', '.join(r.get('files', []))} in "
                     f"{args.out}")
        return "\n".join(lines)
    _emit(res, args.json, human)
    return 0


def _spectrum(args):
    """``rmtland spectrum --torch``: the options, the output directory, torch, the target and
    what it returns, and the sizes are checked (exit 2, naming them) before any Hessian
    product."""
    from .experiments.spectrum import SpectrumConfig, spectrum_torch
    cfg = SpectrumConfig(target=args.torch, parts=tuple(args.part),
                         layers=None if args.layer is None else tuple(args.layer),
                         each_layer=args.each_layer, method=args.method, probes=args.probes,
                         steps=args.steps, degree=args.degree, top=args.top, tau=args.tau,
                         seed=args.seed, fit=args.fit, fit_phi=args.fit_phi,
                         bootstrap=args.bootstrap)
    res = spectrum_torch(cfg, out=args.out, pdf=args.pdf)

    def human(r):
        m = r["model"]
        lines = [f"{r['target']}: n = {m['n']}, k = {m['k']}, m = {m['m']}, phi = "
                 f"{m['phi']:.4g}, loss = {m['loss']:.6g} ({m['loss_kind']}, PB "
                 f"normalisation); method {r['method']}, tau = {r['tau']:.3g}"]
        for part, blocks in r["parts"].items():
            for name, b in [("all", blocks["all"])] + list(blocks["layers"].items()):
                se = "" if not b["index_stderr"] else f" +- {b['index_stderr']:.2g}"
                if b.get("index_bias_bound"):
                    se += f" (bias <= {b['index_bias_bound']:.2g})"
                cnt = b["counts"]
                lines.append(f"  {part:2s} {name:10s} n = {b['n']:6d}  index {b['index']:.4g}"
                             f"{se}  below/near/above tau {cnt['below']['count']:.4g}/"
                             f"{cnt['near_zero']['count']:.4g}/{cnt['above']['count']:.4g}  "
                             f"lambda [{b['lambda_min']:.4g}, {b['lambda_max']:.4g}]")
                if "fit" in b:
                    f = b["fit"]
                    p = ", ".join(f"{k} {v['value']:.4g}" for k, v in f["params"].items())
                    pv = "" if f["p_value"] is None else f", p-value {f['p_value']:.3g}"
                    lines.append(f"     fitted {f['law']}: {p}; KS {f['ks']:.3g}{pv}")
        lines.append(f"  {r['seconds']:.2f} s; wrote {', '.join(r.get('files', []))} in "
                     f"{args.out}")
        return "\n".join(lines)
    _emit(res, args.json, human)
    return 0


def _simulate_spinglass(args):
    from .experiments import simulate_spinglass
    res = simulate_spinglass(args.p, args.N, args.starts, seed=args.seed, device=args.device,
                             out=args.out, pdf=args.pdf, progress=not args.no_progress)

    def human(r):
        m = (f", minima energy {r['minima_energy_mean']:.4f}" if r["minima_energy_mean"]
             is not None else "")
        return "\n".join([
            f"Spherical {r['p']}-spin glass, N = {r['N']}, {r['starts']} starts, seed "
            f"{r['seed']}, {r['device']}",
            f"  {r['critical_points']} distinct critical points, {r['minima']} minima{m}",
            f"  band [-E_0, -E_inf] = [{-r['E_0']:.4f}, {-r['E_inf']:.4f}]; max |grad|/N "
            f"{r['max_gradient_norm']:.2e}",
            f"  {r['seconds']:.2f} s; wrote {', '.join(r.get('files', []))} in {args.out}"])
    _emit({k: v for k, v in res.items()}, args.json, human)
    return 0


def _simulate_network(args):
    from .experiments import simulate_network
    res = simulate_network(args.hidden, args.inputs, args.outputs, args.samples,
                           depth=args.depth, activation=args.activation, data=args.data,
                           starts=args.starts, steps=args.steps,
                           reference_samples=args.reference_samples,
                           downsample=args.downsample, whiten=args.whiten or False,
                           seed=args.seed, device=args.device,
                           maxiter=args.maxiter, out=args.out, pdf=args.pdf,
                           progress=not args.no_progress,
                           **({} if args.null_draws is None else {"null_draws": args.null_draws}))

    def human(r):
        pts = r["critical_points"]
        idx = sorted({p["index_count"] for p in pts})
        return "\n".join([
            f"{r['activation']} network, {r['parameters']} parameters, phi = {r['phi']:.4g}, "
            f"{r['data']} data (m = {r['samples']}), {r['searches']} searches ({r['starts']} "
            f"networks x {len(r['steps'])} descent snapshots), seed {r['seed']}, "
            f"{r['device']}",
            f"  {len(pts)} distinct critical points (index counts {idx}); rejected: "
            f"{r['rejected_gradient_flat']} gradient-flat, {r['at_infinity']} at infinity",
            f"  {r['seconds']:.2f} s; wrote {', '.join(r.get('files', []))} in {args.out}"])
    _emit(res, args.json, human)
    return 0


#: the options of ``simulate trained`` that set a TrainedConfig field of the same name
_TRAINED_FIELDS = ("widths", "networks", "classes", "hessian_width", "hessian_networks",
                   "hessian_activation", "inputs", "downsample", "train_size", "bias", "init",
                   "optimizer", "momentum", "lr", "lr_decay", "batch_size", "epochs", "stop",
                   "patience", "tol", "grad_tol", "seed", "device")


def _simulate_trained(args):
    from .experiments.trained import OLD_RECIPE, TrainedConfig, simulate_trained
    base = TrainedConfig(**OLD_RECIPE) if args.recipe == "old" else TrainedConfig()
    fields = {k: getattr(args, k) for k in _TRAINED_FIELDS if getattr(args, k) is not None}
    if args.activation is not None:
        fields["activations"] = args.activation
    if args.no_hessian:
        fields["classes"] = ()
    res = simulate_trained(base, out=args.out, pdf=args.pdf, progress=not args.no_progress,
                           **fields)

    def human(r):
        c = r["config"]
        lines = [f"{r['networks']} networks per width, {', '.join(r['activations'])}, "
                 f"{c['optimizer']} lr {c['lr']} batch {c['batch_size']}, {c['epochs']} epochs"
                 f" (stop: {c['stop']}), inputs {c['inputs']}, seed {r['seed']}, "
                 f"{r['device']}"]
        for w in r["widths"]:
            corr = ("n/a" if w["correlation"] is None else f"{w['correlation']:.3f} "
                    f"[{w['correlation_lo']:.3f}, {w['correlation_hi']:.3f}]")
            lines.append(f"  {w['activation']} width {w['width']}: train {w['train_mean']:.4f}"
                         f" ± {w['train_std']:.4f}, test {w['test_mean']:.4f} ± "
                         f"{w['test_std']:.4f}, corr {corr}, converged "
                         f"{w['converged_fraction']:.0%} (median |g|/|g0| "
                         f"{w['grad_ratio_median']:.3g})")
        f = r["spread_fit"]
        if f:
            se = "n/a" if f["stderr"] is None else f"{f['stderr']:.3f}"
            lines.append(f"  {f['activation']} test spread: slope {f['slope']:.3f} ± {se} "
                         f"(log std against log width)")
        for h in r["hessian"]:
            lines.append(f"  K = {h['classes']}: {h['outliers_mean']:.1f} outliers, bulk edge "
                         f"{h['bulk_edge']:.3g}, KS {h['ks_bulk']}")
        lines.append(f"  {r['seconds']:.1f} s; wrote {', '.join(r.get('files', []))} in "
                     f"{args.out}")
        return "\n".join(lines)
    _emit(res, args.json, human)
    return 0


def _bench(args):
    from . import bench
    run = {"spectra": bench.bench_spectra, "sampling": bench.bench_sampling}[args.what]
    rows = run(args.device, args.sizes, repeats=args.repeats)
    if args.json:
        print(json.dumps({"rows": rows}, allow_nan=False))
    else:
        print(bench.format_table(rows))
    return 0


def _reproduce(args):
    """``rmtland reproduce``: ``--workers`` and ``--scheduler`` (``--full`` only) are checked
    as ``rmtland sweep`` checks them, naming the option, before any figure computes."""
    import contextlib
    from .experiments import reproduce, sweep
    distributed = [f for f, v in (("--workers", args.workers), ("--scheduler", args.scheduler))
                   if v is not None]
    if distributed and not args.full:
        raise _validate.InputError(f"{distributed[0]} applies to --full only (the quick sizes "
                                   "run in this process)")
    if args.workers is not None and args.scheduler is None:
        sweep.check_workers(args.workers, args.device, "--workers")
    with contextlib.ExitStack() as stack:
        client = None
        if args.scheduler is not None:
            client = sweep.connect(args.scheduler, name="--scheduler")
            stack.enter_context(sweep.closing_quietly(client))
        summary = reproduce(args.out, quick=not args.full, pdf=args.pdf,
                            simulate=not args.theory_only, device=args.device, seed=args.seed,
                            workers=args.workers, client=client)
    if args.json:
        print(json.dumps(summary, allow_nan=False, default=str))
    else:
        for path in summary.get("files", []):
            print(path)
    return 0


def _sweep(args):
    """``rmtland sweep``: the spec, ``--workers`` and ``--scheduler`` are checked (exit 2,
    naming the option) before anything starts; Ctrl-C exits 130 with one line, the finished
    points kept; a table writer that fails exits 1 with one line, the other tables and
    ``result.json`` written."""
    import contextlib
    from .experiments import sweep
    spec = sweep.parse_spec(sweep.load_spec(args.spec), args.spec)
    device = args.device or spec.device or "cpu"
    if args.workers is not None and args.scheduler is None:
        sweep.check_workers(args.workers, device, "--workers")
    try:
        with contextlib.ExitStack() as stack:
            client = None
            if args.scheduler is not None:
                client = sweep.connect(args.scheduler, name="--scheduler")
                stack.enter_context(sweep.closing_quietly(client))
            summary = sweep.run_sweep(spec, args.out, workers=args.workers, client=client,
                                      device=args.device, progress=not args.no_progress)
    except KeyboardInterrupt:
        print(f"rmtland: interrupted: sweep stopped; the finished points are kept in "
              f"{args.out}/points (rerun the same command to finish)", file=sys.stderr)
        return 130
    summary.pop("rows")

    def human(s):
        return (f"{s['kind']} sweep: {s['done']}/{s['total']} points done ({s['skipped']} "
                f"found done, {s['failed']} failed) in {s['seconds']:.1f} s "
                f"({s['runner']}); table {s['table']}")
    _emit(summary, args.json, human)
    if summary["table_errors"]:
        print("rmtland: error: the table could not be written as "
              + "; ".join(f"{fmt} ({err})" for fmt, err in summary["table_errors"].items())
              + f"; the other formats and {args.out}/result.json are written",
              file=sys.stderr)
        return 1
    if summary["failed"]:
        print(f"rmtland: {summary['failed']} of {summary['total']} points failed; their "
              f"errors are in {args.out}/result.json and the table", file=sys.stderr)
        return 1
    return 0


def build_parser():
    p = _Parser(prog="rmtland", description="Random-matrix theory of loss landscapes: "
                "analytic predictions and simulations side by side.",
                epilog="exit codes: 0 done, 1 internal failure, 2 bad input, 3 device "
                       "unavailable, 130 interrupted")
    p.add_argument("--version", action="version", version=f"rmtland {__version__}")
    p.add_argument("--debug", action="store_true",
                   help="print the traceback of an internal failure")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    theory = sub.add_parser("theory", help="analytic predictions")
    tsub = theory.add_subparsers(dest="model", required=True, parser_class=_Parser)
    th = tsub.add_parser("hessian", help="Pennington-Bahri Hessian: index, eps_c, alpha0, "
                         "support, moments")
    th.add_argument("--phi", required=True, type=_phi,
                    help=f"phi in (0, {PHI_MAX:g}]: parameters / (outputs x samples)")
    th.add_argument("--eps", required=True, type=_eps, help=f"eps in [0, {EPS_MAX:g}]: the loss")
    th.add_argument("--json", action="store_true", help="print one JSON object")
    th.set_defaults(func=_theory_hessian)

    ts = tsub.add_parser("spinglass", help="spherical p-spin: E_inf, thresholds E_k, complexities")
    ts.add_argument("--p", required=True, type=_integer("p", 2), help="interaction order p >= 2")
    ts.add_argument("--k", type=_integer("k", 0), nargs="+", help="indices k >= 0 (default 0)")
    ts.add_argument("--u", type=_u, help=f"energy per site at which to evaluate, |u| <= {U_MAX:g}")
    ts.add_argument("--json", action="store_true", help="print one JSON object")
    ts.set_defaults(func=_theory_spinglass)

    ver = sub.add_parser("verify", help="run every derivation check (non-zero exit on failure)")
    ver.add_argument("--json", action="store_true")
    ver.set_defaults(func=_verify)

    rep = sub.add_parser("reproduce", help="write every study's figures and data")
    rep.add_argument("--out", required=True, help="output directory")
    size = rep.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="the quick sizes (the default, as in rmtland.experiments.reproduce: "
                           "minutes on a CPU)")
    size.add_argument("--full", action="store_true", help="the full sizes (meant for a GPU)")
    rep.add_argument("--pdf", action="store_true", help="also write PDF figures")
    rep.add_argument("--theory-only", action="store_true", help="no simulation (seconds)")
    rep.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
    rep.add_argument("--seed", type=_integer("seed", 0), default=0)
    rep.add_argument("--workers", type=_integer("workers", 0), default=None,
                     help="with --full: local Dask workers (default one per CPU; 0: this "
                          "process); each figure is one point of a resumable sweep in OUT/sweep")
    rep.add_argument("--scheduler", default=None,
                     help="with --full: address of a running Dask scheduler (tcp://host:8786)")
    rep.add_argument("--json", action="store_true")
    rep.set_defaults(func=_reproduce)

    fit = sub.add_parser("fit", help="fit a law (pb, mp, mp+semicircle) to a measured spectrum: "
                                     "parameters +- bootstrap s.e., KS p-value, outliers")
    fit.add_argument("spectrum", metavar="SPECTRUM",
                     help="eigenvalues (.npy, .csv, .txt), or .npz/.json with 'eigenvalues' "
                          "or SLQ 'nodes' and 'weights' (probes x steps)")
    fit.add_argument("--law", default="pb", choices=["pb", "mp", "mp+semicircle"],
                     help="pb: MP(phi) + semicircle(2 eps); mp: s MP(phi); mp+semicircle: "
                          "s (MP(phi) + semicircle(sigma2))")
    fit.add_argument("--phi", type=_phi, default=None,
                     help=f"fix phi in (0, {PHI_MAX:g}] (default: fitted)")
    fit.add_argument("--outliers", default="edge",
                     choices=["edge", "gap_ratio", "widest_gap", "none"],
                     help="outlier rule; the law is fitted to the rest (default edge)")
    fit.add_argument("--spikes", type=_real("spikes", _validate.positive), nargs="+",
                     default=None, metavar="THETA",
                     help="spike strengths whose outlier locations are predicted")
    fit.add_argument("--spike-kind", default="additive", choices=["additive", "covariance"],
                     help="additive spikes (any law), or covariance spikes (law mp)")
    fit.add_argument("--bootstrap", type=_integer("bootstrap", 1), default=100,
                     help="bootstrap replicates B >= 1 (parametric, refitted each)")
    fit.add_argument("--seed", type=_integer("seed", 0), default=0)
    fit.add_argument("--out", required=True, help="output directory (result.json, fit.png)")
    fit.add_argument("--pdf", action="store_true")
    fit.add_argument("--json", action="store_true")
    fit.set_defaults(func=_fit)

    spec = sub.add_parser("spectrum", help="a PyTorch model's Hessian H, H0, H1: spectra with "
                                           "error bars, top eigenpairs, counts around 0, fits")
    spec.add_argument("--torch", required=True, metavar="MODULE:FUNCTION",
                      help="FUNCTION() returns (model, loss_fn, data); MODULE may be a path "
                           "to a .py file (example: simulations/torch_models.py:digits_cnn)")
    spec.add_argument("--part", nargs="+", default=["H"], choices=["H", "H0", "H1"],
                      help="Hessian parts (default H)")
    spec.add_argument("--layer", nargs="+", default=None, metavar="NAME",
                      help="restrict to these layers' (or parameters') diagonal block")
    spec.add_argument("--each-layer", action="store_true",
                      help="also every layer of the selection on its own")
    spec.add_argument("--method", default="auto", choices=["auto", "dense", "slq", "kpm"],
                      help="auto: dense up to 2000 parameters, SLQ above")
    spec.add_argument("--top", type=_integer("top", 0), default=5,
                      help="top eigenpairs per block, with residuals (default 5)")
    spec.add_argument("--probes", type=_integer("probes", 1), default=20)
    spec.add_argument("--steps", type=_integer("steps", 1), default=100)
    spec.add_argument("--degree", type=_integer("degree", 2), default=400)
    spec.add_argument("--tau", type=_real("tau", _validate.nonnegative), default=None,
                      help="count eigenvalues below -tau, in [-tau, tau), above tau (default "
                           "1e-3 of the largest |eigenvalue|)")
    spec.add_argument("--fit", default=None, choices=["pb", "mp", "mp+semicircle"],
                      help="fit this law to each part's spectrum of the whole selection")
    spec.add_argument("--fit-phi", default="architecture", choices=["architecture", "free"],
                      help="phi of the fit: n/(km) of the model (default), or fitted")
    spec.add_argument("--bootstrap", type=_integer("bootstrap", 1), default=40,
                      help="bootstrap replicates of the fit")
    spec.add_argument("--seed", type=_integer("seed", 0), default=0)
    spec.add_argument("--out", required=True,
                      help="output directory (result.json, spectrum.npz, spectrum.png)")
    spec.add_argument("--pdf", action="store_true")
    spec.add_argument("--json", action="store_true")
    spec.set_defaults(func=_spectrum)

    sim = sub.add_parser("simulate", help="sample matrices and compare with the theory")
    ssub = sim.add_subparsers(dest="model", required=True, parser_class=_Parser)
    sh = ssub.add_parser("hessian", help="Pennington-Bahri Hessians: spectrum and index")
    sh.add_argument("--phi", required=True, type=_phi, help=f"phi in (0, {PHI_MAX:g}]")
    sh.add_argument("--eps", required=True, type=_eps, help=f"eps in [0, {EPS_MAX:g}]")
    sh.add_argument("--n", required=True, type=_integer("n", 1), help="matrix size")
    sh.add_argument("--samples", required=True, type=_integer("samples", 1),
                    help="number of matrices")
    sh.add_argument("--seed", type=_integer("seed", 0), default=0)
    sh.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
    sh.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    sh.add_argument("--out", required=True, help="output directory (result.json, spectrum.png)")
    sh.add_argument("--method", default="auto", choices=["auto", "dense", "slq", "kpm"],
                    help="dense eigenvalues, or matrix-free SLQ / KPM (auto: dense up to "
                         "n = 2048, SLQ above)")
    sh.add_argument("--probes", type=_integer("probes", 1), default=32,
                    help="slq/kpm: random probe vectors per matrix (error bars over them)")
    sh.add_argument("--steps", type=_integer("steps", 1), default=80,
                    help="slq: Lanczos steps per probe")
    sh.add_argument("--degree", type=_integer("degree", 2), default=200,
                    help="kpm: Chebyshev moments (degree/2 products per probe)")
    sh.add_argument("--pdf", action="store_true")
    sh.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(func=_simulate_hessian)

    sg = ssub.add_parser("spinglass", help="spherical p-spin: critical points from random starts")
    sg.add_argument("--p", required=True, type=_integer("p", 2), help="p in {2, 3, 4}")
    sg.add_argument("--N", required=True, type=_integer("N", 2), help="number of spins")
    sg.add_argument("--starts", required=True, type=_integer("starts", 1))
    sg.add_argument("--seed", type=_integer("seed", 0), default=0)
    sg.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
    sg.add_argument("--out", required=True, help="output directory (result.json, spinglass.png)")
    sg.add_argument("--pdf", action="store_true")
    sg.add_argument("--no-progress", action="store_true")
    sg.add_argument("--json", action="store_true")
    sg.set_defaults(func=_simulate_spinglass)

    sn = ssub.add_parser("network", help="a real network's critical points against the theory")
    sn.add_argument("--hidden", required=True, type=_integer("hidden", 1), help="hidden width")
    sn.add_argument("--depth", type=_integer("depth", 1), default=1, help="hidden layers")
    sn.add_argument("--inputs", required=True, type=_integer("inputs", 1),
                    help="input dimension; with --data digits the pooled image size, 64, 16, "
                         "4 or 1 (8x8 pooled by 1, 2, 4, 8), which sets --downsample; the "
                         "JSON's inputs is what the network gets after constant pixels are "
                         "dropped (and PCA), beside pixels and inputs_note")
    sn.add_argument("--outputs", required=True, type=_integer("outputs", 1))
    sn.add_argument("--samples", required=True, type=_integer("samples", 1))
    sn.add_argument("--activation", default="tanh",
                    choices=["linear", "tanh", "softplus", "relu", "leaky_relu"],
                    help="hidden nonlinearity; relu and leaky_relu get their almost-everywhere "
                         "Hessian (sigma'' = 0 off the kinks, as autograd)")
    sn.add_argument("--data", default="gaussian", choices=["gaussian", "teacher", "digits"])
    sn.add_argument("--starts", type=_integer("starts", 1), default=16,
                    help="random networks; each starts a search after every --steps count")
    sn.add_argument("--steps", type=_integer("steps", 0), nargs="+", default=[0, 5, 20, 80, 300],
                    help="gradient-descent steps after which the searches start (so they "
                         "begin at a range of losses); 0 alone: plain random starts")
    sn.add_argument("--reference-samples", type=_integer("reference-samples", 0), default=3,
                    help="PB-model draws behind each freeness distance's noise reference")
    sn.add_argument("--null-draws", type=_integer("null-draws", 1), default=None,
                    help="Haar rotations of each point's own H1 behind the freeness p-values "
                         "(default 100)")
    sn.add_argument("--downsample", type=int, choices=[1, 2, 4, 8], default=None,
                    help="digits only: average-pool the 8x8 images by this factor (default: "
                         "the one --inputs implies; one that disagrees with --inputs, e.g. "
                         "--inputs 16 --downsample 4, exits 2)")
    sn.add_argument("--whiten", choices=["zca", "pca"], default=None,
                    help="digits only: whiten the standardised pixels (PB's preprocessing)")
    sn.add_argument("--maxiter", type=_integer("maxiter", 1), default=200)
    sn.add_argument("--seed", type=_integer("seed", 0), default=0)
    sn.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
    sn.add_argument("--out", required=True, help="output directory (result.json, points.npz, "
                    "network.png)")
    sn.add_argument("--pdf", action="store_true")
    sn.add_argument("--no-progress", action="store_true")
    sn.add_argument("--json", action="store_true")
    sn.set_defaults(func=_simulate_network)

    sw = sub.add_parser("sweep", help="a grid of simulations from a TOML spec, in this process "
                        "or on Dask; resumable")
    sw.add_argument("spec", help="the spec (TOML): kind, grid, seeds (see rmtland.experiments."
                    "sweep and simulations/sweep_*.toml)")
    sw.add_argument("--out", required=True, help="output directory (points/, table, result.json)")
    sw.add_argument("--workers", type=_integer("workers", 0), default=None,
                    help="local Dask workers (default: one per CPU, one per GPU with dask-cuda);"
                         " 0: one point after another in this process")
    sw.add_argument("--scheduler", default=None,
                    help="address of a running Dask scheduler, e.g. tcp://host:8786")
    sw.add_argument("--device", default=None, choices=["cpu", "gpu", "auto"],
                    help="where the points run (default: the spec's device, else cpu)")
    sw.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    sw.add_argument("--json", action="store_true", help="print one JSON object (the summary)")
    sw.set_defaults(func=_sweep)

    st = ssub.add_parser("trained", help="many networks trained by SGD on the digits: loss "
                         "spread against width (CHO15), Hessian bulk and outliers against K; "
                         "every option's default is rmtland.experiments.trained.TrainedConfig's"
                         " (the papers' recipe)")
    st.add_argument("--widths", required=True, type=_integer("widths", 1), nargs="+",
                    help="hidden widths (distinct integers >= 1)")
    st.add_argument("--networks", type=_integer("networks", 2), help="networks per width")
    st.add_argument("--activation", nargs="+", help="relu and/or tanh (part 1)")
    st.add_argument("--classes", type=_integer("classes", 2), nargs="+",
                    help="numbers of digit classes K in 2..10 for the Hessian part")
    st.add_argument("--no-hessian", action="store_true", help="no Hessian part")
    st.add_argument("--hessian-width", type=_integer("hessian_width", 1))
    st.add_argument("--hessian-networks", type=_integer("hessian_networks", 1))
    st.add_argument("--hessian-activation", help="relu or tanh (part 2)")
    st.add_argument("--recipe", default="papers", choices=["papers", "old"],
                    help="the defaults the other options change: papers (unit inputs at 8x8, "
                         "biases, He init, plain SGD, constant step, fixed epochs) or old "
                         "(momentum 0.9, step decay 10, plateau stop, standardised 4x4 inputs, "
                         "no biases, LeCun init, batch 64)")
    st.add_argument("--inputs", help="unit (pixels/16 in [0, 1]), standardise or whiten")
    st.add_argument("--downsample", type=_whole, help="1, 2 or 4 (8x8 average-pooled)")
    st.add_argument("--train-size", type=_whole,
                    help="training images (default: all of the training half)")
    st.add_argument("--bias", action=argparse.BooleanOptionalAction, default=None,
                    help="biases in both layers")
    st.add_argument("--init", help="he or lecun")
    st.add_argument("--optimizer", help="sgd (plain) or momentum (heavy ball, --momentum)")
    st.add_argument("--momentum", type=float)
    st.add_argument("--lr", type=float, help="step size")
    st.add_argument("--lr-decay", type=float,
                    help="tau: step lr/(1 + (e-1)/tau) in epoch e; 0: constant")
    st.add_argument("--batch-size", type=_whole)
    st.add_argument("--epochs", type=_whole,
                    help="epochs (a fixed count), or their cap under --stop")
    st.add_argument("--stop", help="none (fixed epochs), plateau (--patience, --tol) or "
                                   "gradient (|g| <= --grad-tol |g0|)")
    st.add_argument("--patience", type=_whole)
    st.add_argument("--tol", type=float)
    st.add_argument("--grad-tol", type=float,
                    help="the gradient rule's fraction and the 'converged' threshold")
    st.add_argument("--seed", type=_integer("seed", 0))
    st.add_argument("--device", default=None, choices=["cpu", "gpu", "auto"])
    st.add_argument("--out", required=True, help="output directory (result.json, "
                    "trained_losses.png, trained_hessian.png)")
    st.add_argument("--pdf", action="store_true")
    st.add_argument("--no-progress", action="store_true")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=_simulate_trained)

    bench = sub.add_parser("bench", help="performance tables")
    bsub = bench.add_subparsers(dest="what", required=True, parser_class=_Parser)
    bs = bsub.add_parser("spectra", help="eigenvalues and inertia, seconds per matrix")
    bs.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
    bs.add_argument("--sizes", type=_integer("size", 1), nargs="+", default=[64, 256, 1024])
    bs.add_argument("--repeats", type=_integer("repeats", 1), default=3)
    bs.add_argument("--json", action="store_true")
    bs.set_defaults(func=_bench)
    bm = bsub.add_parser("sampling", help="sample_hessian against the plain NumPy loop, "
                         "seconds per matrix")
    bm.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
    bm.add_argument("--sizes", type=_integer("size", 1), nargs="+",
                    default=[64, 128, 256, 512, 1024])
    bm.add_argument("--repeats", type=_integer("repeats", 1), default=3)
    bm.add_argument("--json", action="store_true")
    bm.set_defaults(func=_bench)
    return p


def _what(args):
    return " ".join(str(v) for v in (args.command, getattr(args, "model", None),
                                     getattr(args, "what", None)) if v)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "out", None) is not None:
            from ._io import check_output_dir
            check_output_dir(args.out, "--out")     # before any computing
        return args.func(args)
    except _validate.InputError as exc:       # bad input, checked by the library
        print(f"rmtland: error: {exc}", file=sys.stderr)
        return 2
    except DeviceUnavailable as exc:          # --device gpu without a usable GPU
        print(f"rmtland: error: {exc}", file=sys.stderr)
        return 3
    except BrokenPipeError:                   # stdout closed early (e.g. piped into head)
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        kept = (f"; {args.out} holds the previous run's files, unchanged (a run's files are "
                "moved in only when complete)" if getattr(args, "out", None) else "")
        print(f"rmtland: interrupted: {_what(args)} stopped{kept}", file=sys.stderr)
        return 130
    except Exception as exc:                  # an internal failure: one line, or --debug
        if args.debug:
            import traceback
            traceback.print_exc()
        print(f"rmtland: internal error in {_what(args)}: {type(exc).__name__}: {exc}"
              + ("" if args.debug else " (rerun with --debug for the traceback)"),
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
