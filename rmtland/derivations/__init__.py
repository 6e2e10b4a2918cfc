"""Derivations: sympy derives the closed forms, numerics check them.

Each derivation returns a :class:`Derivation` (the derived expression, printable) with a list
of :class:`Check` rows comparing a closed form with an independent numeric evaluation.
``theory/`` scripts print one derivation each; ``rmtland verify`` runs them all.
"""
from .core import Check, Derivation, run_all, registry

__all__ = ["Check", "Derivation", "run_all", "registry"]
