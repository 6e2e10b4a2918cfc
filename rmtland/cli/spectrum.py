"""``rmtland spectrum --torch``: a PyTorch model's Hessian spectra
(:func:`rmtland.experiments.spectrum.spectrum_torch`).

The options that set a :class:`rmtland.experiments.spectrum.SpectrumConfig` field default to
``None`` (not given), so the defaults are SpectrumConfig's alone."""
from .. import _validate
from ._args import METHODS, emit, given, integer, real


def add_parser(subparsers):
    spec = subparsers.add_parser("spectrum", help="a PyTorch model's Hessian H, H0, H1: spectra "
                                 "with error bars, top eigenpairs, counts around 0, fits")
    spec.add_argument("--torch", required=True, metavar="MODULE:FUNCTION",
                      help="FUNCTION() returns (model, loss_fn, data); MODULE may be a path "
                           "to a .py file (example: simulations/torch_models.py:digits_cnn)")
    spec.add_argument("--part", nargs="+", choices=["H", "H0", "H1"],
                      help="Hessian parts (default H)")
    spec.add_argument("--layer", nargs="+", metavar="NAME",
                      help="restrict to these layers' (or parameters') diagonal block")
    spec.add_argument("--each-layer", action="store_true", default=None,
                      help="also every layer of the selection on its own")
    spec.add_argument("--method", choices=METHODS,
                      help="auto: dense up to 2000 parameters, SLQ above")
    spec.add_argument("--top", type=integer("top", 0),
                      help="top eigenpairs per block, with residuals (default 5)")
    spec.add_argument("--probes", type=integer("probes", 1))
    spec.add_argument("--steps", type=integer("steps", 1))
    spec.add_argument("--degree", type=integer("degree", 2))
    spec.add_argument("--tau", type=real("tau", _validate.nonnegative),
                      help="count eigenvalues below -tau, in [-tau, tau), above tau (default "
                           "1e-3 of the largest |eigenvalue|)")
    spec.add_argument("--fit", choices=["pb", "mp", "mp+semicircle"],
                      help="fit this law to each part's spectrum of the whole selection")
    spec.add_argument("--fit-phi", choices=["architecture", "free"],
                      help="phi of the fit: n/(km) of the model (default), or fitted")
    spec.add_argument("--bootstrap", type=integer("bootstrap", 1),
                      help="bootstrap replicates of the fit")
    spec.add_argument("--seed", type=integer("seed", 0))
    spec.add_argument("--out", required=True,
                      help="output directory (result.json, spectrum.npz, spectrum.png)")
    spec.add_argument("--pdf", action="store_true")
    spec.add_argument("--json", action="store_true")
    spec.set_defaults(func=run)


def config(args):
    """The :class:`~rmtland.experiments.spectrum.SpectrumConfig` of the parsed options."""
    from ..experiments.spectrum import SpectrumConfig
    return given(SpectrumConfig, target=args.torch, parts=args.part, layers=args.layer,
                 each_layer=args.each_layer, method=args.method, probes=args.probes,
                 steps=args.steps, degree=args.degree, top=args.top, tau=args.tau,
                 seed=args.seed, fit=args.fit, fit_phi=args.fit_phi, bootstrap=args.bootstrap)


def run(args):
    """The options, the output directory, torch, the target and what it returns, and the
    sizes are checked (exit 2, naming them) before any Hessian product."""
    from ..experiments.spectrum import spectrum_torch
    res = spectrum_torch(config(args), out=args.out, pdf=args.pdf)

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
    emit(res, args.json, human)
    return 0
