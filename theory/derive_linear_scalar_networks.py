"""Derive with sympy the critical points, losses and Hessians of scalar (width-one) linear networks
of depth 2 and 3, the smallest cases of the Baldi-Hornik and Kawaguchi statements.

Prints the derived expressions and one PASS/FAIL line per check; exits 1 if a check fails.
`rmtland verify` runs the same checks.
"""
import sys

from rmtland.derivations.core import script_main
from rmtland.derivations.linear import derive_scalar_networks


def main(argv=None):
    return script_main(derive_scalar_networks, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
