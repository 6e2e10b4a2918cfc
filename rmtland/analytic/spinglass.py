r"""Complexity of the spherical p-spin spin glass (Auffinger, Ben Arous & Černý, CPAM 66 (2013),
"Random matrices and complexity of spin glasses": ABC13).

Convention (DESIGN.md): :math:`H_N(\sigma) = N^{-(p-1)/2}\sum J_{i_1\dots i_p}\sigma_{i_1}\cdots
\sigma_{i_p}`, :math:`\sigma` on the sphere of radius :math:`\sqrt N`, energy per site
:math:`u = H_N/N`.  With :math:`E_\infty = 2\sqrt{(p-1)/p}` and, for :math:`u \le -E_\infty`,

.. math:: I_1(u) = -\frac{u}{E_\infty^2}\sqrt{u^2 - E_\infty^2}
          - \log\bigl(-u + \sqrt{u^2 - E_\infty^2}\bigr) + \log E_\infty ,

the mean number of critical points of index :math:`k` below energy :math:`u` grows like
:math:`e^{N\Theta_{k,p}(u)}` with (ABC13 Thm. 2.5)

.. math:: \Theta_{k,p}(u) = \tfrac12\log(p-1) - \tfrac{p-2}{4(p-1)}u^2 - (k+1) I_1(u)
          \quad (u \le -E_\infty), \qquad
          \Theta_{k,p}(u) = \tfrac12\log(p-1) - \tfrac{p-2}{p} \quad (u \ge -E_\infty),

and of all critical points (ABC13 Thm. 2.8)

.. math:: \Theta_p(u) = \tfrac12\log(p-1) - \tfrac{p-2}{4(p-1)}u^2 - I_1(u)\ (u \le -E_\infty),
          \quad \tfrac12\log(p-1) - \tfrac{p-2}{4(p-1)}u^2\ (-E_\infty \le u \le 0),
          \quad \tfrac12\log(p-1)\ (u \ge 0).

The thresholds :math:`E_k` solve :math:`\Theta_{k,p}(-E_k) = 0`; :math:`E_0 > E_1 > \dots >
E_\infty` (ABC13 Eq. (2.13)).  At a critical point of energy :math:`u` the Riemannian Hessian is
:math:`\sqrt{p(p-1)}` times a GOE with semicircle on :math:`[-2, 2]` minus :math:`pu` (to leading
order), so the index fraction at energy :math:`u` is the semicircle CDF at
:math:`u\sqrt{p/(p-1)} = 2u/E_\infty` (DESIGN.md).

References
----------
A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses",
Comm. Pure Appl. Math. 66, 165 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129 (ABC13).
E. P. Wigner, "On the distribution of the roots of certain symmetric matrices", Ann. of Math. 67(2),
325–327 (1958), doi:10.2307/1970008. The semicircle law of the Hessian.
R. P. Brent, "Algorithms for Minimization without Derivatives", Prentice-Hall, Englewood Cliffs
(1973); Dover reprint (2002), ISBN 0-486-41998-3. Ch. 4: the root finding behind threshold.
"""
import math

import numpy as np

from .. import _validate
from .._validate import InputError
from .laws import Semicircle

__all__ = ["E_inf", "I1", "complexity_index", "complexity_total", "threshold",
           "index_fraction", "U_MAX"]


#: Largest :math:`|u|` accepted: the complexities hold u^2 and u sqrt(u^2 - E_inf^2), which
#: must stay below the float64 maximum 1.8e308.
U_MAX = 1e150
#: Largest |Theta| computed: (k + 1) I1(u) is refused beyond it (float64 ends at 1.8e308).
COMPLEXITY_MAX = 1e300


def _u(u):
    return _validate.finite_array("u", u, U_MAX)


def _p(p):
    return _validate.integer("p", p, 2)


def E_inf(p):
    r""":math:`E_\infty(p) = 2\sqrt{(p-1)/p}` (ABC13 Eq. (2.12)); :math:`-E_\infty` is where the
    shifted semicircle of the Hessian touches 0 (``theory/derive_spinglass_E_inf.py``).

    References
    ----------
    .. [1] A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses",
       Comm. Pure Appl. Math. 66(2), 165–201 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129.
       Eq. (2.12).
    """
    p = _p(p)
    return 2 * math.sqrt((p - 1) / p)


def I1(u, p):
    r""":math:`I_1(u)` of ABC13 Eq. (2.14) for :math:`u \le -E_\infty` (0 above, where it does
    not enter); :math:`I_1(-E_\infty) = 0`, increasing as :math:`u` decreases.

    References
    ----------
    .. [1] A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses",
       Comm. Pure Appl. Math. 66(2), 165–201 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129.
       Eq. (2.14).
    """
    E = E_inf(p)
    u = np.asarray(_u(u), dtype=float)
    below = u < -E
    ub = np.where(below, u, -E)
    r = np.sqrt(np.maximum(ub * ub - E * E, 0.0))
    val = -ub / E ** 2 * r - np.log(-ub + r) + math.log(E)
    return np.where(below, val, 0.0)


def complexity_index(u, p, k):
    r""":math:`\Theta_{k,p}(u)`, complexity of critical points of index ``k`` with energy per
    site below ``u`` (ABC13 Thm. 2.5; module docstring).

    References
    ----------
    .. [1] A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses",
       Comm. Pure Appl. Math. 66(2), 165–201 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129.
       Thm. 2.5.
    """
    p = _p(p)
    k = _validate.integer("k", k, 0)
    u = _u(u)
    E = E_inf(p)
    base = 0.5 * math.log(p - 1)
    i1 = I1(u, p)
    # (k + 1) I1(u) ~ (k + 1) u^2 / E^2 must stay a float64: refuse (k, u) beyond it
    if np.any(i1 > COMPLEXITY_MAX / (k + 1)):
        raise InputError(f"k = {k} with |u| up to {float(np.max(np.abs(u))):.3g}: (k + 1) "
                         f"I1(u) exceeds {COMPLEXITY_MAX:g}, beyond float64; reduce |u| or k")
    below = base - (p - 2) / (4 * (p - 1)) * u ** 2 - (k + 1) * i1
    return np.where(u <= -E, below, base - (p - 2) / p)


def complexity_total(u, p):
    r""":math:`\Theta_p(u)`, complexity of all critical points with energy per site below ``u``
    (ABC13 Thm. 2.8; module docstring).

    References
    ----------
    .. [1] A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses",
       Comm. Pure Appl. Math. 66(2), 165–201 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129.
       Thm. 2.8.
    """
    p = _p(p)
    u = _u(u)
    base = 0.5 * math.log(p - 1)
    quad = base - (p - 2) / (4 * (p - 1)) * u ** 2
    return np.where(u >= 0, base, quad - I1(u, p))


def threshold(k, p):
    r""":math:`E_k(p) > 0` with :math:`\Theta_{k,p}(-E_k) = 0` (ABC13 Eq. (2.13)); ``k`` may be
    ``float("inf")`` for :math:`E_\infty`.  Brent's method on
    :math:`(E_\infty, E_{\rm hi}]`, where :math:`\Theta_{k,p}(-E_\infty) = \tfrac12\log(p-1) -
    (p-2)/p > 0` for :math:`p \ge 3` and :math:`\Theta_{k,p}(-E) < 0` once
    :math:`E^2 > 2(p-1)\log(p-1)/(p-2)`; absolute accuracy :math:`10^{-14}`.  For
    :math:`p = 2`, :math:`\Theta_{k,2} \le 0` vanishes at :math:`-E_\infty` and
    :math:`E_k = E_\infty = \sqrt2`.

    References
    ----------
    .. [1] A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses",
       Comm. Pure Appl. Math. 66(2), 165–201 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129.
       Eq. (2.13).
    .. [2] R. P. Brent, "Algorithms for Minimization without Derivatives", Prentice-Hall, Englewood
       Cliffs (1973); Dover reprint (2002), ISBN 0-486-41998-3. Ch. 4: Brent's root-finding method
       (scipy.optimize.brentq).
    """
    p = _p(p)
    if k == float("inf"):
        return E_inf(p)
    k = _validate.integer("k", k, 0)
    E = E_inf(p)
    if p == 2:
        return E
    from scipy.optimize import brentq
    hi = max(2 * E, math.sqrt(2 * (p - 1) * math.log(p - 1) / (p - 2)) + 1)
    return brentq(lambda e: float(complexity_index(np.array([-e]), p, k)[0]), E, hi,
                  xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)


def index_fraction(u, p):
    r"""Fraction of negative Hessian eigenvalues at a critical point of energy per site ``u``:
    the semicircle CDF on :math:`[-2, 2]` at :math:`2u/E_\infty`, i.e. 0 for
    :math:`u \le -E_\infty`, 1/2 at :math:`u = 0`, 1 for :math:`u \ge E_\infty` (DESIGN.md;
    :meth:`rmtland.analytic.laws.Semicircle.cdf`, the one semicircle CDF of the package).

    References
    ----------
    .. [1] A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses",
       Comm. Pure Appl. Math. 66(2), 165–201 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129. The
       Hessian at a critical point is a shifted GOE.
    .. [2] E. P. Wigner, "On the distribution of the roots of certain symmetric matrices", Ann. of
       Math. 67(2), 325–327 (1958), doi:10.2307/1970008. The semicircle law.
    """
    return Semicircle(1.0).cdf(2.0 * _u(u) / E_inf(p))
