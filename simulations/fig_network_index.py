"""Claim: critical points of every index of a small tanh network on Pennington & Bahri's
memorisation task (Gaussian inputs, random targets) are held against the random-matrix theory
of their Hessians (PB17 Sec. 5): their index against their loss beside the Pennington-Bahri
index at each point's matched (phi, eps), and three freeness tests of H = H0 + H1 (the free
convolution of the empirical spectra, a Haar rotation of H1, the PB law with matched moments).

Figure: (a) index fraction against loss, one colour per phi = parameters / (outputs x samples),
with the PB17 law at matched parameters; (b) the three KS distances at each critical point.
Quick: widths (4, 6, 2), m = 12, 24, 48 samples, 24 starts each; --full: larger (a GPU).

Writes ``network_index.png`` and ``result.json`` into ``--out``; sizes in
:mod:`rmtland.experiments.networks` (``NET_SIZES``; ``--smoke``: tiny sizes, for tests).
"""
from rmtland import experiments

NAME = "network_index"


def main(argv=None):
    return experiments.figure_main(NAME, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
