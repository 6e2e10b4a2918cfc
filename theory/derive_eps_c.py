"""Derive the critical loss eps_c(phi) (Pennington & Bahri 2017, Eq. 16) from the discriminant
of the cubic at z = 0, show it equals (1 - 20 phi - 8 phi^2 + (1 + 8 phi)^{3/2})/16, and check that
the library's left support edge (root finding on K') vanishes there.

Prints the derived expressions and one PASS/FAIL line per check; exits 1 if a check fails.
`rmtland verify` runs the same checks.
"""
import sys

from rmtland.derivations.core import script_main
from rmtland.derivations.hessian import derive_eps_c


def main(argv=None):
    return script_main(derive_eps_c, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
