"""Finite-size approach of sampled spectra to the law
==================================================

Claim: the spectra of sampled Gauss-Newton-plus-residual matrices H = X X^T/m + GOE(2 eps)
approach the free-probability law of Pennington & Bahri (ICML 2017) as n grows: the KS and L1
distances between the pooled empirical spectrum and the law fall as a fitted power of n, and
the empirical index is off by an O(1/n) bias of a fraction of an eigenvalue per matrix.

Figure: (a) KS and L1 distances against n (log-log) with the fitted power laws; (b) the index
error n (alpha_hat - alpha) in eigenvalues per matrix with +-2 standard errors, at
(phi, eps) = (0.5, 0.1), for n = 100 ... 1600 (quick) or 250 ... 4000 (--full), the same number
of pooled eigenvalues at every n.

Writes ``hessian_finite_size.png`` (and ``.pdf`` with ``--pdf``) and ``result.json`` into
``--out`` (default ``results/hessian_finite_size``); sizes are fixed in
:mod:`rmtland.experiments` (``SIM``; ``--smoke``: tiny sizes, for tests).

Usage: ``python simulations/fig_hessian_finite_size.py [--out DIR] [--smoke | --full] [--pdf] [--device cpu|gpu|auto] [--seed S]``
"""
from rmtland import experiments

NAME = "hessian_finite_size"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    main()          # returns 0; a failure raises (the gallery runs this too)
