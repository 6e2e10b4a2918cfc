"""Claim: Sagun et al. (2017) and Papyan (2019): at the end of training the Hessian of a network
is a bulk near zero plus outliers whose number follows the number of classes K, while the bulk
follows the number of parameters. Checked on tanh networks trained with cross-entropy on the
first K digit classes (K = 2..10): dense H = H0 + H1, outliers above the moment-matched
Marchenko-Pastur edge of H0's bulk (and by the widest-gap rule), the bulk against the
Pennington-Bahri law at matched moments (KS distance).

Figure: (a) spectra of H, H0, H1 of one network; (b) top eigenvalues per K; (c) outliers
against K with the lines K and K - 1; (d) bulk edge against the number of parameters.
Quick: hidden width 16 (and 8, 24 at K = 10), 4 networks each (a CPU, about 10 s); --full:
width 32 (and 8, 16, 64), 10 networks each.

Writes ``trained_hessian.png`` and ``result.json`` into ``--out``; sizes in
:mod:`rmtland.experiments.trained` (``TRAINED_SIZES``; ``--smoke``: tiny sizes, for tests).
"""
from rmtland import experiments

NAME = "trained_hessian"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
