"""Derivations: sympy derives the closed forms, numerics check them.

Each derivation returns a :class:`Derivation` (the derived expression, printable) with a list
of :class:`Check` rows comparing a closed form with an independent numeric evaluation.
``theory/`` scripts print one derivation each; ``rmtland verify`` runs them all.

References
----------
A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103 (2017),
doi:10.7717/peerj-cs.103. The symbolic derivations.
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix Theory", Proc.
34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
https://proceedings.mlr.press/v70/pennington17a.html. The Hessian results derived in hessian.
A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses", Comm. Pure
Appl. Math. 66(2), 165–201 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129. The spin-glass results
derived in spinglass.
"""
from .core import Check, Derivation, run_all, registry

__all__ = ["Check", "Derivation", "run_all", "registry"]
