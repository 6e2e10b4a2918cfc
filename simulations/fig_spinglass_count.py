"""Claim: at small N the number of distinct minima found by descent from enough random starts in
a sampled spherical 3-spin glass matches, on average over Hamiltonians, the exact finite-N mean
number of minima E Crt_{N,0} of Auffinger, Ben Arous & Cerny (CPAM 2013, Thm. 2.3), evaluated by
Monte Carlo over a tridiagonal GOE.

Figure: mean distinct minima per Hamiltonian against N for nested numbers of starts (points with
standard errors) and the exact mean (line with a 2-s.e. band); ``result.json`` gives, per N, the
fewest starts at which the count saturated.

Writes ``spinglass_count.png`` (and ``.pdf`` with ``--pdf``) and ``result.json`` into ``--out``
(default ``results/spinglass_count``); sizes in :mod:`rmtland.experiments` (``SPIN_COUNT``).

Usage: ``python simulations/fig_spinglass_count.py [--out DIR] [--smoke | --full] [--pdf] [--device cpu|gpu|auto] [--seed S]``
"""
from rmtland import experiments

NAME = "spinglass_count"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
