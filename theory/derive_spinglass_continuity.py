"""Show with sympy that the complexity Theta_{k,p}(u) of index-k critical points (Auffinger,
Ben Arous & Cerny 2013, Thm. 2.5) is continuous at u = -E_inf, and check the library there.

Prints the derived expressions and one PASS/FAIL line per check; exits 1 if a check fails.
`rmtland verify` runs the same checks.
"""
import sys

from rmtland.derivations.core import script_main
from rmtland.derivations.spinglass import derive_continuity


def main(argv=None):
    return script_main(derive_continuity, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
