"""Derive the first four moments of H = H0 + H1 by series inversion of z G = 1 + G R(G), and
check them against the library's free-cumulant moments and a quadrature of its density.

Prints the derived expressions and one PASS/FAIL line per check; exits 1 if a check fails.
`rmtland verify` runs the same checks.
"""
import sys

from rmtland.derivations.core import script_main
from rmtland.derivations.hessian import derive_moments


def main(argv=None):
    return script_main(derive_moments, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
