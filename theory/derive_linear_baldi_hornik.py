"""Derive every critical point of a one-hidden-layer linear network with squared loss (Baldi &
Hornik 1989) from subsets of the eigenvectors of Sigma_yx Sigma_xx^-1 Sigma_xy, with its loss
and exact Hessian inertia: the only local minima are global, every other critical point is a
strict saddle.

Prints the derived expressions and one PASS/FAIL line per check; exits 1 if a check fails.
`rmtland verify` runs the same checks.
"""
import sys

from rmtland.derivations.core import script_main
from rmtland.derivations.linear import derive_baldi_hornik


def main(argv=None):
    return script_main(derive_baldi_hornik, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
