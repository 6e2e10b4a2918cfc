"""Claim: the index alpha(eps, phi) (fraction of negative Hessian eigenvalues) vanishes for
eps <= eps_c(phi) and follows the 3/2 law alpha ~ alpha0 ((eps - eps_c)/eps_c)^(3/2) just above
it when phi < 1; for phi >= 1 it is positive for every eps > 0.

Figure: (a) alpha against eps (log axis) for phi in {0.25, 0.5, 0.75, 2}, eps_c dotted, the
3/2 law dashed; (b) alpha/alpha0 against (eps - eps_c)/eps_c on log-log axes, collapsing onto
x^(3/2) (Pennington & Bahri, ICML 2017, Eqs. (13)-(17)).

Writes ``hessian_index.png`` (and ``.pdf`` with ``--pdf``) and ``result.json``
(parameters, versions and the numbers behind the figure) into ``--out`` (default
``results/hessian_index``); parameters and grids are fixed in :mod:`rmtland.experiments`
(``--smoke``: tiny grids, for tests).

Usage: ``python simulations/fig_hessian_index.py [--out DIR] [--smoke] [--pdf]``
"""
import argparse

from rmtland import experiments

NAME = "hessian_index"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=f"results/{NAME}", help="output directory "
                        f"(default: results/{NAME})")
    parser.add_argument("--smoke", action="store_true", help="tiny grids (seconds; for tests)")
    parser.add_argument("--pdf", action="store_true", help="also write a PDF of the figure")
    args = parser.parse_args(argv)
    result = experiments.run_figure(NAME, args.out, smoke=args.smoke, pdf=args.pdf)
    for path in result["files"]:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
