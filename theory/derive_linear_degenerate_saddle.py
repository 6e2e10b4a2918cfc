"""Exhibit Kawaguchi's degenerate saddle of a depth-3 linear network (Kawaguchi 2016): at the
origin the gradient and the Hessian vanish, while the loss decreases like t^3 along an escape
direction.

Prints the derived expressions and one PASS/FAIL line per check; exits 1 if a check fails.
`rmtland verify` runs the same checks.
"""
import sys

from rmtland.derivations.core import script_main
from rmtland.derivations.linear import derive_degenerate_saddle


def main(argv=None):
    return script_main(derive_degenerate_saddle, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
