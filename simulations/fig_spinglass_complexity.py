"""Complexity of the spherical 3-spin glass
========================================

Claim: for the spherical p-spin spin glass the mean number of critical points of index k with
energy per site below u grows like exp(N Theta_{k,p}(u)); Theta_{k,p} crosses zero at -E_k with
-E_0 < -E_1 < ... < -E_inf, so in the band [-E_0, -E_inf] low-index critical points dominate and
below -E_inf only minima remain (Auffinger, Ben Arous & Cerny, CPAM 2013, Thms. 2.5 and 2.8;
the band of Choromanska et al., AISTATS 2015).

Figure: (a) Theta_{k,3}(u) for k = 0..5 and the total complexity Theta_3(u), thresholds marked;
(b) a zoom on the band. ``result.json`` tabulates E_k (k = 0..5) and E_inf for p = 3 and 4.

Writes ``spinglass_complexity.png`` (and ``.pdf`` with ``--pdf``) and ``result.json`` into
``--out`` (default ``results/spinglass_complexity``); ``--smoke``: coarse grids, for tests.

Usage: ``python simulations/fig_spinglass_complexity.py [--out DIR] [--smoke | --full] [--pdf]``
"""
from rmtland import experiments

NAME = "spinglass_complexity"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    main()          # returns 0; a failure raises (the gallery runs this too)
