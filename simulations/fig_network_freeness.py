"""Is H1 free from H0 at a network's critical points?
==================================================

Claim: at the critical points of a small tanh network (PB's memorisation task and a
teacher's targets), is the residual part H1 of the Hessian free from its Gauss-Newton part H0,
as the Pennington-Bahri theory assumes (PB17 Sec. 3, 5)? Three KS distances of spec(H) -- to
the free convolution of the empirical spectra of H0 and H1, to spec(H0 + Q H1 Q^T) with Haar Q,
and to the PB law with matched moments -- each with a p-value against a null of 100 Haar
rotations of the point's own H1 (H0 + Q H1 Q^T: exact under "H1 sits in a random orientation
to H0"; calibrated on free pairs in tests/test_freeness_pvalues.py), and beside the same
distance on PB-model draws of the same size (a second reference).

Figure: one panel per test, the distance against the loss at each tested critical point, one
colour per phi (and task), grey crosses for the largest PB-model distance at that point; each
title gives the fraction of points with p <= 0.05 +- its binomial s.e. ``result.json`` holds
the table by phi and loss bin: the fraction rejecting at 5% +- s.e. against
floor(0.05 (R+1))/(R+1) under freeness, and the fraction above every PB-model draw against
1/(R'+1). The points are those of ``fig_network_index`` (the same study, computed once per
process).

Writes ``network_freeness.png`` and ``result.json`` into ``--out``; sizes in
:mod:`rmtland.experiments.networks` (``NET_SIZES``; ``--smoke``: tiny sizes, for tests).
"""
from rmtland import experiments

NAME = "network_freeness"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    main()          # returns 0; a failure raises (the gallery runs this too)
