"""Minima of descent approach the threshold -E_inf
===============================================

Claim: minima found by Riemannian descent from random starts in sampled spherical p-spin
glasses (p = 3) do not sit in the band [-E_0, -E_inf] of Auffinger, Ben Arous & Cerny (CPAM
2013): almost all lie above the threshold -E_inf, and their mean energy approaches -E_inf from
above as N grows -- the threshold phenomenon of gradient dynamics (Cugliandolo & Kurchan, PRL 71,
173 (1993)).

Figure: (a) minima energies per site against N (mean +- s.e. over Hamiltonians, spread, the
weighted fit u_inf + c N^(-gamma) and u_inf +- s.e., -E_0 and -E_inf); (b) fractions of the
minima above -E_inf, in the band and below -E_0 against N.  Quick: N = 20, 30, 45, 70, ten
Hamiltonians of 16 starts each; --full: N = 25 ... 400 (meant for a GPU).

Writes ``spinglass_threshold.png`` (and ``.pdf`` with ``--pdf``) and ``result.json`` into
``--out`` (default ``results/spinglass_threshold``); sizes in :mod:`rmtland.experiments.spinglass`
(``SPIN_THRESHOLD``; ``--smoke``: tiny sizes, for tests).

Usage: ``python simulations/fig_spinglass_threshold.py [--out DIR] [--smoke | --full] [--pdf] [--device cpu|gpu|auto] [--seed S]``
"""
from rmtland import experiments

NAME = "spinglass_threshold"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    main()          # returns 0; a failure raises (the gallery runs this too)
