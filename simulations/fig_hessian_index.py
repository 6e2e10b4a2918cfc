"""The index alpha(eps, phi) and the 3/2 law
=========================================

Claim: the index alpha(eps, phi) (fraction of negative Hessian eigenvalues) vanishes for
eps <= eps_c(phi) and follows the 3/2 law alpha ~ alpha0 ((eps - eps_c)/eps_c)^(3/2) just above
it when phi < 1; for phi >= 1 it is positive for every eps > 0.

Figure: (a) alpha against eps (log axis) for phi in {0.25, 0.5, 0.75, 2}, eps_c dotted, the
3/2 law dashed; (b) alpha/alpha0 against (eps - eps_c)/eps_c on log-log axes, collapsing onto
x^(3/2) (Pennington & Bahri, ICML 2017, Eqs. (13)-(17)).

Simulated indices (negative-eigenvalue counts by LDL^T inertia, n = 300, 24 matrices per
point in the quick run) are drawn as points with standard-error bars unless ``--theory-only``.

Writes ``hessian_index.png`` (and ``.pdf`` with ``--pdf``) and ``result.json``
(parameters, versions and the numbers behind the figure) into ``--out`` (default
``results/hessian_index``); parameters and grids are fixed in :mod:`rmtland.experiments`
(``--smoke``: tiny grids, for tests).

Usage: ``python simulations/fig_hessian_index.py [--out DIR] [--smoke | --full] [--pdf] [--device cpu|gpu|auto] [--seed S] [--theory-only]``
"""
from rmtland import experiments

NAME = "hessian_index"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    main()          # returns 0; a failure raises (the gallery runs this too)
