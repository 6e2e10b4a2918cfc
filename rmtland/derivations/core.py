"""Check and Derivation records, and the registry behind ``rmtland verify``.

References
----------
A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103 (2017),
doi:10.7717/peerj-cs.103. The derived expressions and their printing.
"""
import math
from dataclasses import dataclass, field


@dataclass
class Check:
    """One comparison: ``value`` (derived) against ``reference`` (independent) within
    ``tolerance`` on ``error`` (absolute unless the name says relative)."""
    name: str
    value: float
    reference: float
    tolerance: float
    relative: bool = False

    @property
    def error(self):
        err = abs(self.value - self.reference)
        if self.relative:
            err /= max(abs(self.reference), 1e-300)
        return err

    @property
    def passed(self):
        return bool(math.isfinite(self.error) and self.error <= self.tolerance)

    def as_dict(self):
        return {"name": self.name, "value": self.value, "reference": self.reference,
                "error": self.error, "tolerance": self.tolerance,
                "relative": self.relative, "passed": self.passed}

    def line(self):
        kind = "rel" if self.relative else "abs"
        return (f"{'PASS' if self.passed else 'FAIL'}  {self.name}: {self.value:.15g} vs "
                f"{self.reference:.15g} ({kind} error {self.error:.2e} <= {self.tolerance:.0e})")


@dataclass
class Derivation:
    """A derived result (``expressions``: name -> sympy expression) and its checks.

    References
    ----------
    .. [1] A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103
       (2017), doi:10.7717/peerj-cs.103. The expressions are sympy expressions.
    """
    title: str
    expressions: dict
    checks: list = field(default_factory=list)

    @property
    def passed(self):
        return all(c.passed for c in self.checks)

    def report(self):
        import sympy as sp
        lines = [self.title, "=" * len(self.title)]
        for name, expr in self.expressions.items():
            lines.append(f"{name} = {sp.sstr(expr)}")
        lines += [c.line() for c in self.checks]
        return "\n".join(lines)


def script_main(derive, doc, argv=None):
    """Command line of a ``theory/derive_*.py`` script: print the derivation and its
    PASS/FAIL lines; exit code 1 when a check fails."""
    import argparse
    argparse.ArgumentParser(description=doc).parse_args(argv)
    result = derive()
    print(result.report())
    return 0 if result.passed else 1


def registry():
    """All derivations, in the order ``rmtland verify`` runs them."""
    from . import hessian, linear, spinglass
    return [hessian.derive_cubic, hessian.derive_eps_c, hessian.derive_alpha0,
            hessian.derive_moments, spinglass.derive_E_inf, spinglass.derive_continuity,
            spinglass.derive_E_k_limit, linear.derive_scalar_networks,
            linear.derive_baldi_hornik, linear.derive_degenerate_saddle]


def run_all():
    """Run every derivation; returns the list of :class:`Derivation`."""
    return [derive() for derive in registry()]
