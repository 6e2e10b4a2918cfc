"""The Hessian after training: K - 1 outliers
==========================================

Claim: Sagun et al. (2017, arXiv:1706.04454) and Papyan (2019, arXiv:1901.08244): at the end of
training the Hessian of a network is a bulk near zero plus outliers whose number follows the
number of classes K, while the bulk follows the number of parameters. Checked on ReLU networks
(``rmtland.experiments.trained.TrainedConfig``'s recipe: inputs pixels/16 in [0, 1] at 8x8,
biases, He init, plain SGD, fixed epochs) trained with cross-entropy on the first K digit
classes (K = 2..10): dense H = H0 + H1 (the a.e. Hessian for ReLU), outliers by the rules of
:mod:`rmtland.compare.trained`, the bulk against the Pennington-Bahri law at matched moments.

Figure: (a) spectra of H, H0, H1 of one network; (b) top eigenvalues per K; (c) outliers
against K with the lines K and K - 1; (d) bulk edge against the number of parameters.
Quick: hidden width 16 (and 8, 25 at K = 10), 3 networks each, 60 epochs (a CPU); --full:
width 25 (and 8, 16, 50), 10 networks each, 200 epochs.

Writes ``trained_hessian.png`` and ``result.json`` into ``--out``; sizes in
:mod:`rmtland.experiments.trained` (``TRAINED_SIZES``; ``--smoke``: tiny sizes, for tests).
"""
from rmtland import experiments

NAME = "trained_hessian"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    main()          # returns 0; a failure raises (the gallery runs this too)
