"""Where descent's minima sit in sampled 3-spin glasses
====================================================

Claim: in sampled spherical p-spin glasses (p = 3), minima found by Riemannian descent from
random starts lie above the threshold -E_inf, not in the band [-E_0, -E_inf] of Auffinger, Ben
Arous & Cerny (CPAM 2013) -- the band Choromanska et al. (AISTATS 2015) used for network losses:
97-100% of them above -E_inf at N = 25-100 (the threshold phenomenon of gradient dynamics,
Cugliandolo & Kurchan, PRL 71, 173 (1993); fig_spinglass_threshold.py follows it in N).  The
index fraction k/(N-1) of every critical point found follows the semicircle law in its energy up
to a finite-N shift k - (N-1) F_sc(2u/E_inf) of about -0.3 eigenvalues (-0.3 to -0.5 at u < 0).

Figure: (a) histograms of the minima's energies for N = 25, 50, 75 (quick; 25..400 with --full)
with -E_0 and -E_inf, and the fraction above -E_inf per N in the legend; (b) index fraction
against energy over the semicircle-law curve, with the mean index shift +- s.e. per N.

Writes ``spinglass_minima.png`` (and ``.pdf`` with ``--pdf``) and ``result.json`` into ``--out``
(default ``results/spinglass_minima``); sizes are fixed in :mod:`rmtland.experiments`
(``SPIN_SIM``; ``--smoke``: tiny sizes, for tests).

Usage: ``python simulations/fig_spinglass_minima.py [--out DIR] [--smoke | --full] [--pdf] [--device cpu|gpu|auto] [--seed S]``
"""
from rmtland import experiments

NAME = "spinglass_minima"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    main()          # returns 0; a failure raises (the gallery runs this too)
