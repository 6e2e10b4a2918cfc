"""Counting critical points against the exact finite-N mean
========================================================

Claim: at small N the number of distinct critical points of index k found from enough random
starts in a sampled spherical 3-spin glass (minima by descent, k = 0; saddles of index 1 and 2 by
Newton with mirror images) matches, on average over Hamiltonians, the exact finite-N mean
E Crt_{N,k} of Auffinger, Ben Arous & Cerny (CPAM 2013, Thm. 2.3), evaluated by Monte Carlo over
a tridiagonal GOE.  The number of Hamiltonians per N is set by a target standard error (quick:
4% of the exact mean, so a 10% shortfall is 2.5 standard errors) from a pilot of Hamiltonians.

Figure: one panel per index k, the mean count per Hamiltonian from the most starts (points with
standard errors, labelled with the number of Hamiltonians) against N with the exact mean (line
with a 2-s.e. band); a last panel, found / exact against the number of starts (saturation).
``result.json`` gives, per (N, k): Hamiltonians (and the rule's uncapped number), found mean ±
s.e. per number of starts, exact mean ± s.e., z, the fewest starts at which the count saturated
and the paired gain of the last block of starts.

Writes ``spinglass_count.png`` (and ``.pdf`` with ``--pdf``) and ``result.json`` into ``--out``
(default ``results/spinglass_count``); sizes in :mod:`rmtland.experiments` (``SPIN_COUNT``).

Usage: ``python simulations/fig_spinglass_count.py [--out DIR] [--smoke | --full] [--pdf] [--device cpu|gpu|auto] [--seed S]``
"""
from rmtland import experiments

NAME = "spinglass_count"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    main()          # returns 0; a failure raises (the gallery runs this too)
