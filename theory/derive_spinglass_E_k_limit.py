"""Derive how the thresholds E_k of the spherical p-spin model approach E_inf as k -> infinity
(Auffinger, Ben Arous & Cerny 2013, Eq. 2.13): E_k - E_inf ~ (Theta_inf/((k+1) c))^{2/3} with c
from the sympy series of I_1 at the edge, and check the library's thresholds against it.

Prints the derived expressions and one PASS/FAIL line per check; exits 1 if a check fails.
`rmtland verify` runs the same checks.
"""
import sys

from rmtland.derivations.core import script_main
from rmtland.derivations.spinglass import derive_E_k_limit


def main(argv=None):
    return script_main(derive_E_k_limit, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
