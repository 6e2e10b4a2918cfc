"""Claim: Choromanska et al. (AISTATS 2015, Sec. 6), network side: the final losses of many
independently initialised one-hidden-layer networks (ReLU and tanh) trained by mini-batch SGD on
the offline digits concentrate as the width grows; beside them, the spin-glass side (minima of
the spherical 3-spin glass found by descent, against the band [-E_0, -E_inf]).

Figure: test-loss histograms per width (one panel per activation), the spread of the train and
test losses against width with the fitted power law (± s.e.), the train-test correlation
against width (Fisher 95% intervals), and the spin-glass minima energies and spread against N.
Quick: widths 10-400, 100 networks per width and activation (a CPU, about a minute); --full:
the same widths with 1000 networks per width and 200 epochs at most (a GPU).

Writes ``trained_losses.png`` and ``result.json`` into ``--out``; sizes in
:mod:`rmtland.experiments.trained` (``TRAINED_SIZES``; ``--smoke``: tiny sizes, for tests).
"""
from rmtland import experiments

NAME = "trained_losses"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
