"""Losses of trained networks against width
========================================

Claim: Choromanska et al. (AISTATS 2015, arXiv:1412.0233, Sec. 6), network side: the final
losses of many independently initialised one-hidden-layer networks (ReLU and tanh) trained by
SGD on the offline digits concentrate as the width grows, and train and test losses
decorrelate; beside them, the spin-glass side (minima of the spherical 3-spin glass found by
descent, against the band [-E_0, -E_inf]).

Recipe: ``rmtland.experiments.trained.TrainedConfig``'s defaults, the papers' kind (inputs
pixels/16 in [0, 1] at 8x8, biases, He init, plain SGD with a constant step for a fixed number
of epochs); each width states the fraction of its networks that reached a minimum (final
full-batch gradient norm <= 1e-2 of the initial one).

Figure: test-loss histograms per width (one panel per activation; the legend gives the fraction
converged), the spread of the train and test losses against width with the fitted power law
(± s.e.), the train-test correlation against width (Fisher 95% intervals), and the spin-glass
minima energies and spread against N.  Quick: widths 10-160, 50 networks per width and
activation, 60 epochs (a CPU, about a minute); --full: widths 10-400 with 1000 networks per
width and 200 epochs (a GPU).

Writes ``trained_losses.png`` and ``result.json`` into ``--out``; sizes in
:mod:`rmtland.experiments.trained` (``TRAINED_SIZES``; ``--smoke``: tiny sizes, for tests).
For other recipes (the old one included) use ``rmtland simulate trained``.
"""
from rmtland import experiments

NAME = "trained_losses"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    main()          # returns 0; a failure raises (the gallery runs this too)
