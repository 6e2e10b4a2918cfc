"""Critical points of linear networks, exactly
===========================================

Claim: every critical point of a one-hidden-layer linear network is known exactly (Baldi &
Hornik, Neural Networks 2, 53 (1989)): the only local minima are global and every other
critical point is a strict saddle.  The numerical critical-point finder of rmtland.networks is
held against that list: recall by loss level, spurious points, and agreement of the index.

Figure: loss against the number of negative Hessian eigenvalues, exact list (open circles) and
points found from random starts (dots).  Quick: d = 4 -> p = 2 -> k = 4, m = 40, 48 starts.

Writes ``network_linear.png`` and ``result.json`` into ``--out``; sizes in
:mod:`rmtland.experiments.networks` (``NET_SIZES``; ``--smoke``: tiny sizes, for tests).
"""
from rmtland import experiments

NAME = "network_linear"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    main()          # returns 0; a failure raises (the gallery runs this too)
