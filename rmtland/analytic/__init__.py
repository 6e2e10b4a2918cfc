"""Analytic layer: pure math (NumPy/SciPy, sympy for derivations), deterministic, no RNG.

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix Theory", Proc.
34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
https://proceedings.mlr.press/v70/pennington17a.html. The Pennington–Bahri Hessian (hessian).
A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses", Comm. Pure
Appl. Math. 66(2), 165–201 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129. Complexity of the
spherical p-spin glass (spinglass).
V. A. Marchenko, L. A. Pastur, "Distribution of eigenvalues for some sets of random matrices", Math.
USSR-Sbornik 1(4), 457–483 (1967), doi:10.1070/SM1967v001n04ABEH001994. The Marchenko–Pastur law
(laws).
E. P. Wigner, "On the distribution of the roots of certain symmetric matrices", Ann. of Math. 67(2),
325–327 (1958), doi:10.2307/1970008. The semicircle law (laws).
D. Voiculescu, "Addition of certain non-commuting random variables", J. Funct. Anal. 66(3), 323–346
(1986). The R-transform (transforms, laws).
S. T. Belinschi, H. Bercovici, "A new approach to subordination results in free probability", J.
Anal. Math. 101, 357–365 (2007). Subordination (laws.SubordinatedSum).
J. A. Mingo, R. Speicher, "Free Probability and Random Matrices", Fields Institute Monographs 35,
Springer, New York (2017), doi:10.1007/978-1-4939-6942-5. Free probability: Cauchy/R-transforms,
subordination.
A. Nica, R. Speicher, "Lectures on the Combinatorics of Free Probability", London Math. Soc.
Lecture Note Series 335, Cambridge University Press (2006), doi:10.1017/CBO9780511735127. Free
cumulants (transforms).
"""
from .hessian import (PenningtonBahri, alpha0, cdf, density, eps_c, g_c, index, moments,
                      support_edges)
from .laws import (DiscreteLaw, FreeSum, MarchenkoPastur, PointMass, Semicircle, SpectralLaw,
                   SubordinatedSum, free_convolve)
from .transforms import (cubic_roots, free_cumulants_from_moments, herglotz_root,
                         moments_from_free_cumulants, poly_roots)

__all__ = ["PenningtonBahri", "alpha0", "cdf", "cubic_roots", "density", "eps_c", "g_c", "index",
           "moments", "support_edges", "DiscreteLaw", "FreeSum", "MarchenkoPastur", "PointMass",
           "Semicircle", "SpectralLaw", "SubordinatedSum", "free_convolve",
           "free_cumulants_from_moments", "herglotz_root", "moments_from_free_cumulants",
           "poly_roots"]
