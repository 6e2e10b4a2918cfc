"""Derive the cubic for the Stieltjes transform of H = H0 + H1 (Pennington & Bahri 2017,
Eq. 12) from the R-transforms R_MP(g) = 1/(1 - phi g) and R_SC(g) = 2 eps g, and check that the
library's G(z) solves it.

Prints the derived expressions and one PASS/FAIL line per check; exits 1 if a check fails.
`rmtland verify` runs the same checks.
"""
import sys

from rmtland.derivations.core import script_main
from rmtland.derivations.hessian import derive_cubic


def main(argv=None):
    return script_main(derive_cubic, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
