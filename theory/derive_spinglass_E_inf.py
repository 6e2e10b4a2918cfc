"""Derive E_inf(p) = 2 sqrt((p-1)/p) for the spherical p-spin model (Auffinger, Ben Arous &
Cerny 2013, Eq. 2.12) as the energy where the lower edge of the shifted semicircle of the
Hessian reaches 0, and check the library's value.

Prints the derived expressions and one PASS/FAIL line per check; exits 1 if a check fails.
`rmtland verify` runs the same checks.
"""
import sys

from rmtland.derivations.core import script_main
from rmtland.derivations.spinglass import derive_E_inf


def main(argv=None):
    return script_main(derive_E_inf, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
