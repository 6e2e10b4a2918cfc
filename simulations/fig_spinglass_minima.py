"""Claim: in sampled spherical p-spin glasses (p = 3), minima found by Riemannian descent from
random starts have energies per site that approach the band [-E_0, -E_inf] of Auffinger, Ben
Arous & Cerny (CPAM 2013) -- the band Choromanska et al. (AISTATS 2015) used for network losses --
as N grows, and the index fraction k/(N-1) of every critical point found follows the semicircle
law in its energy.

Figure: (a) histograms of the minima's energies for N = 25, 50, 75 (quick; 25..400 with --full)
with -E_0 and -E_inf; (b) index fraction against energy over the semicircle-law curve.

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
    raise SystemExit(main())
