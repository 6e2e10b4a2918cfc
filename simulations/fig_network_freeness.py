"""Claim: at the critical points of a small tanh network (PB's memorisation task and a
teacher's targets), is the residual part H1 of the Hessian free from its Gauss-Newton part H0,
as the Pennington-Bahri theory assumes (PB17 Sec. 3, 5)? Three KS distances of spec(H) -- to
the free convolution of the empirical spectra of H0 and H1, to spec(H0 + Q H1 Q^T) with Haar Q,
and to the PB law with matched moments -- each beside the same distance on PB-model draws of
the same size (the noise reference).

Figure: one panel per test, the distance against the loss at each tested critical point, one
colour per phi (and task), grey crosses for the largest reference distance at that point.
``result.json`` holds the table by phi and loss bin: the fraction of points above every
reference draw, against 1/(R+1) under freeness. The points are those of ``fig_network_index``
(the same study, computed once per process).

Writes ``network_freeness.png`` and ``result.json`` into ``--out``; sizes in
:mod:`rmtland.experiments.networks` (``NET_SIZES``; ``--smoke``: tiny sizes, for tests).
"""
from rmtland import experiments

NAME = "network_freeness"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
