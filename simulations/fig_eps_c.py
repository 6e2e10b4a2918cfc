"""Critical loss eps_c(phi) and the 3/2-law coefficient
====================================================

Claim: the closed form eps_c(phi) = (1 - 20 phi - 8 phi^2 + (1 + 8 phi)^(3/2))/16 is the loss
at which the left edge of the Hessian spectrum crosses zero, and with the 3/2-law coefficient
alpha0(phi) it decreases to 0 as phi -> 1.

Figure: (a) eps_c(phi) on 0 < phi < 1 with independent numerical roots of ``lambda_-(eps) = 0``
as circles; (b) alpha0(phi) (Pennington & Bahri, ICML 2017, Eqs. (16)-(17)).

Writes ``hessian_eps_c.png`` (and ``.pdf`` with ``--pdf``) and ``result.json``
(parameters, versions and the numbers behind the figure) into ``--out`` (default
``results/hessian_eps_c``); parameters and grids are fixed in :mod:`rmtland.experiments`
(``--smoke``: tiny grids, for tests).

Usage: ``python simulations/fig_eps_c.py [--out DIR] [--smoke | --full] [--pdf]``
"""
from rmtland import experiments

NAME = "hessian_eps_c"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    main()          # returns 0; a failure raises (the gallery runs this too)
