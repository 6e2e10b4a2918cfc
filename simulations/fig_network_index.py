"""Critical points of a small tanh network against PB17
====================================================

Claim: critical points of every index of a small tanh network on Pennington & Bahri's
memorisation task (Gaussian inputs, random targets) and on a teacher's targets, found by
minimising ``|grad L|^2`` from snapshots of gradient descent (so they span a range of losses), are
held against the random-matrix theory of their Hessians (PB17 Sec. 5): their index against
their loss beside the PB17 index at each point's matched (phi, eps); and PB's observation that
minimisers of the memorisation task sit at loss (1 - phi)^2 / 2, over independent data sets.

Finite means finite: a point counts as a finite critical point only if its largest
pre-activation stays below 15 (tanh' < 4e-13 beyond) and, at a minimum, it has no zero modes
beyond the symmetries' (and the n - km of an exact-fit manifold); the others are "at infinity",
counted with their statistics. The memorisation loss is therefore measured over **all**
minimisation end points, finite or not: per data set the lowest and the mean end-point loss.

Figure: (a) index fraction against loss, one colour per phi = parameters / (outputs x samples)
and task, with the PB17 law at matched parameters; (b) the memorisation loss against phi --
lowest and mean end-point loss per data set, mean +- s.e. over data sets -- with
(1 - phi)^2 / 2. Quick: widths (4, 6, 2), m = 12, 24, 48 samples (and a teacher at m = 24),
3 data sets of critical-point searches (8 networks x 5 descent snapshots each) and 8 data sets
of 8 minimisations per phi; --full: larger (a GPU).

Writes ``network_index.png`` and ``result.json`` into ``--out``; sizes in
:mod:`rmtland.experiments.networks` (``NET_SIZES``; ``--smoke``: tiny sizes, for tests).
"""
from rmtland import experiments

NAME = "network_index"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    main()          # returns 0; a failure raises (the gallery runs this too)
