"""Spectral density of the Pennington-Bahri Hessian
================================================

Claim: the Pennington-Bahri Hessian H = H0 + H1 (Marchenko-Pastur Gauss-Newton part plus a
semicircle of variance 2*eps) has negative eigenvalues, for phi < 1 only once eps > eps_c(phi).

Figure: spectral densities rho(lambda) for phi in {0.25, 0.5, 0.75, 2} and eps in
{0, 0.01, 0.1, 0.5}, one panel per phi, support edges ticked, the negative part shaded (its
area is the index), the Marchenko-Pastur atom at 0 for eps = 0 and phi > 1 drawn as an arrow
(Pennington & Bahri, ICML 2017, Sec. 3).

Sampled spectra (SIM sizes of rmtland.experiments: n = 300, 12 matrices per pair in the
quick run) are drawn over the theory as histograms unless ``--theory-only``.

Writes ``hessian_density.png`` (and ``.pdf`` with ``--pdf``) and ``result.json``
(parameters, versions and the numbers behind the figure) into ``--out`` (default
``results/hessian_density``); parameters and grids are fixed in :mod:`rmtland.experiments`
(``--smoke``: tiny grids, for tests).

Usage: ``python simulations/fig_hessian_density.py [--out DIR] [--smoke | --full] [--pdf] [--device cpu|gpu|auto] [--seed S] [--theory-only]``
"""
from rmtland import experiments

NAME = "hessian_density"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    main()          # returns 0; a failure raises (the gallery runs this too)
