"""Claim: the closed form eps_c(phi) = (1 - 20 phi - 8 phi^2 + (1 + 8 phi)^(3/2))/16 is the loss
at which the left edge of the Hessian spectrum crosses zero, and with the 3/2-law coefficient
alpha0(phi) it decreases to 0 as phi -> 1.

Figure: (a) eps_c(phi) on 0 < phi < 1 with independent numerical roots of lambda_-(eps) = 0
as circles; (b) alpha0(phi) (Pennington & Bahri, ICML 2017, Eqs. (16)-(17)).

Writes ``hessian_eps_c.png`` (and ``.pdf`` with ``--pdf``) and ``result.json``
(parameters, versions and the numbers behind the figure) into ``--out`` (default
``results/hessian_eps_c``); parameters and grids are fixed in :mod:`rmtland.experiments`
(``--smoke``: tiny grids, for tests).

Usage: ``python simulations/fig_eps_c.py [--out DIR] [--smoke] [--pdf]``
"""
import argparse

from rmtland import experiments

NAME = "hessian_eps_c"


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
