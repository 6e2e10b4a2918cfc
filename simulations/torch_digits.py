"""A PyTorch network's Hessian against the theory: fitted laws and predicted outliers
=====================================================================================

Claim (issue 19's worked example): for networks built and trained in PyTorch (the MLP and CNN
of ``simulations/torch_models.py``, trained briefly on 300 bundled digits), rmtland gives the
spectra of H, H0, H1 per layer, fits the Pennington-Bahri law to the bulk of H with phi fixed
from the architecture (n/(km)) and free, with parametric-bootstrap p-values, and predicts the
outliers of H from the class means of H0 (Papyan, arXiv:1901.08244, 2008.11865): the class-mean
part B of H0 has a few large eigenvalues theta_c, and a spike theta_c added to the fitted bulk
in a direction free from it would sit at lambda(theta_c) (Benaych-Georges & Nadakuditi 2011).
The prediction uses no observed outlier.  The freeness of the spike directions is the
assumption; u_c^T (H - B) u_c, what the bulk looks like from the spike directions, against
tr(H - B)/n, what a free direction would see, measures how far it fails
(:func:`rmtland.experiments.spectrum.class_mean_study`).

Measured (seed 0, 19 bootstrap replicates per fit, so a p-value of 0.05 is the smallest one
reported): every fit is rejected.  PB as the theory states it (mean 1) cannot describe these
bulks (mean tr(H - B)/n = 0.0057 for the MLP, 0.0005 for the CNN): KS 0.50 and 1.0 (MLP), 1.0
and 1.0 (CNN) with phi fixed and free.  PB with a free scale (``mp+semicircle``) comes closer:
KS 0.24 (phi fixed at 0.395) and 0.15 (phi free, fitted 1.62) for the MLP, 0.29 and 0.23 for
the CNN.  The class means: B holds 73% (MLP) and 88% (CNN) of tr H0.  The free-spike
prediction lambda(theta_c) from the scaled-PB bulk is theta_c plus ~1e-3 and falls short of the
observed top eigenvalues by 11% (MLP: 1.905 against 2.129) and 4.5% (CNN: 1.173 against
1.228); the spike directions see u_c^T (H - B) u_c = 0.22 (MLP) and 0.055 (CNN), 38 and 100
times the bulk mean a free direction would see, and theta_c + u_c^T (H - B) u_c = u_c^T H u_c
gives 2.120 and 1.228: freeness of the class-mean directions from the rest of the Hessian is
what fails, not the class-mean mechanism.

Writes ``torch_digits.png`` and ``result.json`` (every number: fits, p-values, the table of
observed and predicted outliers) into ``--out``.  Needs torch and scikit-learn; about a minute
on one CPU core (``--smoke``: the tiny untrained MLP of torch_models.py, seconds).  Run it as
``python simulations/torch_digits.py --out results/torch_digits``; the same spectra come from
``rmtland spectrum --torch simulations/torch_models.py:digits_mlp --part H H0 H1 --each-layer
--fit pb --out D``.
"""
import argparse
import os
import sys
import time

from rmtland import _io
from rmtland._validate import InputError

NAME = "torch_digits"
HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = {"full": [("MLP, squared loss", "digits_mlp"), ("CNN, cross-entropy", "digits_cnn")],
          "smoke": [("tiny MLP, untrained", "tiny_mlp")]}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=f"results/{NAME}")
    p.add_argument("--smoke", action="store_true", help="the tiny model, for tests")
    p.add_argument("--top", type=int, default=12, help="outliers compared (default 12)")
    p.add_argument("--bootstrap", type=int, default=19,
                   help="bootstrap replicates per fit (p-values in steps of 1/(B+1))")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pdf", action="store_true")
    a = p.parse_args(argv)
    try:
        _io.check_output_dir(a.out)
        from rmtland.experiments import _run
        from rmtland.experiments.spectrum import class_mean_study
        t0 = time.perf_counter()
        studies = []
        for label, func in MODELS["smoke" if a.smoke else "full"]:
            summary, curves = class_mean_study(
                os.path.join(HERE, "torch_models.py") + ":" + func, top=a.top,
                bootstrap=3 if a.smoke else a.bootstrap, seed=a.seed)
            studies.append((label, summary, curves))
    except InputError as e:
        print(f"{NAME}: error: {e}", file=sys.stderr)
        return 2
    result = {"figure": NAME, "claim": " ".join(__doc__.split("\n\n")[1].split()),
              "parameters": {"level": "smoke" if a.smoke else "quick", "top": a.top,
                             "bootstrap": 3 if a.smoke else a.bootstrap, "seed": a.seed},
              "models": {label: s for label, s, _ in studies},
              "seconds": time.perf_counter() - t0, "versions": _run.versions()}

    def draw():
        from rmtland.plotting.spectrum import plot_class_mean_study
        return plot_class_mean_study([(label, c) for label, _, c in studies])[0]
    result["files"] = _run.figure_names(NAME, a.pdf) + ["result.json"]
    paths = _run.write_run(a.out, {"result.json": result}, [(NAME, draw)], a.pdf,
                           owned=_run.figure_names(NAME, True))
    for path in paths:
        print(path)
    for label, s, _ in studies:
        print(f"{label}: n = {s['model']['n']}, phi = {s['model']['phi']:.3g}, loss = "
              f"{s['model']['loss']:.3g}")
        for key, f in s["fits"].items():
            params = ", ".join(f"{k} {v['value']:.3g}" for k, v in f["params"].items())
            print(f"  {key:26s} {params}; KS {f['ks']:.3f}, p {f['p_value']:.3f} "
                  f"(resolution {f['p_value_resolution']:.3f})")
        print(f"  bulk mean tr(H - B)/n = {s['bulk_mean']:.3g}")
        for row in s["outliers"][:6]:
            pred = ", ".join("-" if v is None else f"{v:.4g}" for v in row["predicted"].values())
            print(f"  #{row['rank']}: observed {row['observed']:.4g}, theta {row['theta']:.4g}, "
                  f"lambda(theta) [{pred}], theta + u'(H-B)u {row['first_order']:.4g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
