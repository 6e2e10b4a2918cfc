"""Derive the coefficient alpha0(phi) of the 3/2 law alpha ~ alpha0 ((eps - eps_c)/eps_c)^{3/2}
(Pennington & Bahri 2017, Eq. 17) from the square-root expansion of the density at the left
edge, and check it against the library's exact index just above eps_c (Richardson-extrapolated).

Prints the derived expressions and one PASS/FAIL line per check; exits 1 if a check fails.
`rmtland verify` runs the same checks.
"""
import sys

from rmtland.derivations.core import script_main
from rmtland.derivations.hessian import derive_alpha0


def main(argv=None):
    return script_main(derive_alpha0, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
