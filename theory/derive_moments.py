"""Derive the first four moments of H = H0 + H1 by series inversion of z G = 1 + G R(G), and
check them against the library's free-cumulant moments and a quadrature of its density.

Prints the derived expressions and one PASS/FAIL line per check; exits 1 if a check fails.
`rmtland verify` runs the same checks.
"""
import argparse
import sys

from rmtland.derivations.hessian import derive_moments


def main(argv=None):
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    result = derive_moments()
    print(result.report())
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
