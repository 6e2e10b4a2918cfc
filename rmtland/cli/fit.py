"""``rmtland fit``: a law fitted to a measured spectrum (:func:`rmtland.experiments.fit_spectrum`).

The options that set a :class:`rmtland.experiments.fit.FitConfig` field default to ``None``
(not given), so the defaults are FitConfig's alone."""
from .. import _validate
from ..analytic.hessian import PHI_MAX
from ._args import emit, given, integer, phi_arg, real


def _spike(name, value):
    """A spike strength: in (0, :data:`rmtland.compare.fit.EIG_MAX`], as the eigenvalues."""
    from ..compare.fit import EIG_MAX
    return _validate.positive(name, value, EIG_MAX)


def add_parser(subparsers):
    fit = subparsers.add_parser("fit", help="fit a law (pb, mp, mp+semicircle) to a measured "
                                "spectrum: parameters +- bootstrap s.e., KS p-value, outliers")
    fit.add_argument("spectrum", metavar="SPECTRUM",
                     help="eigenvalues (.npy, .csv, .txt), or .npz/.json with 'eigenvalues' "
                          "or SLQ 'nodes' and 'weights' (probes x steps)")
    fit.add_argument("--law", choices=["pb", "mp", "mp+semicircle"],
                     help="pb: MP(phi) + semicircle(2 eps); mp: s MP(phi); mp+semicircle: "
                          "s (MP(phi) + semicircle(sigma2))")
    fit.add_argument("--phi", type=phi_arg,
                     help=f"fix phi in (0, {PHI_MAX:g}] (default: fitted)")
    fit.add_argument("--outliers", choices=["edge", "gap_ratio", "widest_gap", "none"],
                     help="outlier rule; the law is fitted to the rest (default edge)")
    fit.add_argument("--spikes", type=real("spikes", _spike), nargs="+",
                     metavar="THETA", help="spike strengths whose outlier locations are predicted")
    fit.add_argument("--spike-kind", choices=["additive", "covariance"],
                     help="additive spikes (any law), or covariance spikes (law mp)")
    fit.add_argument("--bootstrap", type=integer("bootstrap", 1),
                     help="bootstrap replicates B >= 1 (parametric, refitted each)")
    fit.add_argument("--seed", type=integer("seed", 0))
    fit.add_argument("--out", required=True, help="output directory (result.json, fit.png)")
    fit.add_argument("--pdf", action="store_true")
    fit.add_argument("--json", action="store_true")
    fit.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    fit.set_defaults(func=run)


def config(args):
    """The :class:`~rmtland.experiments.fit.FitConfig` of the parsed options."""
    from ..experiments.fit import FitConfig
    return given(FitConfig, law=args.law, phi=args.phi, rule=args.outliers,
                 bootstrap=args.bootstrap, spikes=args.spikes, spike_kind=args.spike_kind,
                 seed=args.seed)


def run(args):
    """The file and every option are checked (exit 2, naming it) before the fit starts."""
    from ..experiments.fit import fit_spectrum
    res = fit_spectrum(args.spectrum, config(args), out=args.out, pdf=args.pdf,
                       progress=not args.no_progress)

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
    emit(res, args.json, human)
    return 0
