r"""Pennington–Bahri model of a Hessian: :math:`H = H_0 + H_1`, Marchenko–Pastur plus semicircle.

Pennington & Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix Theory",
ICML 2017 (PB17).  :math:`H_0` (Gauss–Newton part) is Marchenko–Pastur of ratio
:math:`\varphi` (mean 1, variance :math:`\varphi`), :math:`H_1` (residual part) a semicircle of
variance :math:`2\varepsilon`, the two free (DESIGN.md).  With
:math:`K(g) = R(g) + 1/g = 1/(1-\varphi g) + 2\varepsilon g + 1/g`, the Stieltjes transform solves
the cubic (PB17 Eq. (12), in the convention of :mod:`rmtland.analytic.transforms`)

.. math:: 2\varepsilon\varphi G^3 - (2\varepsilon + z\varphi) G^2 + (z + \varphi - 1) G - 1 = 0 .

Its three roots can differ by many orders of magnitude (the smeared atom of :math:`H_0` has
:math:`G \sim \varepsilon^{-1/2}`), which :func:`~rmtland.analytic.transforms.cubic_roots`
handles; support edges come from bracketed root finding on :math:`K'`.  Everything below is derived in ``theory/`` and checked
by ``rmtland verify``:

* support edges: :math:`K(g^*)` at the critical points :math:`K'(g^*) = 0` (the real roots of
  the discriminant of the cubic in :math:`G`), those on the physical branch: the critical point
  nearest 0 from below (left edge), from above in :math:`(0, 1/\varphi)` (right edge), and, for
  :math:`\varphi > 1`, a pair in :math:`(1/\varphi, \infty)` bounding a gap;
* CDF: :math:`F(z) = Gz + \varphi^{-1}\log(1 - \varphi G) - \varepsilon G^2 - \log G` is an
  antiderivative of :math:`G` (integrate :math:`z\,dG = K(G)\,dG` by parts), so
  :math:`\mu((-\infty, x]) = 1 - \operatorname{Im} F(x + i0)/\pi` with the branches
  :math:`\arg G \in [-\pi, 0]`, :math:`\arg(1-\varphi G) \in [0, \pi]`.  No quadrature: the
  index :math:`\alpha = \mu((-\infty, 0))` is exact to rounding, and since
  :math:`\partial F/\partial G = z - K(G) = 0` an error :math:`\delta` in the root moves
  :math:`F` only by :math:`O(\delta^2)`.  In a gap :math:`G > 1/\varphi` and the CDF is exactly
  :math:`1 - 1/\varphi`;
* :math:`\varepsilon_c(\varphi) = (1 - 20\varphi - 8\varphi^2 + (1+8\varphi)^{3/2})/16` for
  :math:`\varphi < 1` (the discriminant at :math:`z = 0`; PB17 Eq. (16)), 0 for
  :math:`\varphi \ge 1`;
* 3/2 law: :math:`\alpha \approx \alpha_0 ((\varepsilon-\varepsilon_c)/\varepsilon_c)^{3/2}` with
  :math:`\alpha_0 = 2(3 - t)/(3\pi\sqrt t\,(1+t))`, :math:`t = \sqrt{1+8\varphi}`
  (``theory/derive_alpha0.py``, ``rmtland.derivations.hessian``, from the square-root edge expansion);
* moments from the free cumulants :math:`\kappa_1 = 1`, :math:`\kappa_2 = \varphi + 2\varepsilon`,
  :math:`\kappa_j = \varphi^{j-1}` (:math:`j \ge 3`).

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix Theory", Proc.
34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3 (the model), Eq. (12) (the cubic),
Eq. (13) (the index), Eq. (16) (the critical loss), Eq. (17) (the 3/2 law).
V. A. Marchenko, L. A. Pastur, "Distribution of eigenvalues for some sets of random matrices", Math.
USSR-Sbornik 1(4), 457–483 (1967), doi:10.1070/SM1967v001n04ABEH001994. The law of H_0.
E. P. Wigner, "On the distribution of the roots of certain symmetric matrices", Ann. of Math. 67(2),
325–327 (1958), doi:10.2307/1970008. The law of H_1.
D. Voiculescu, "Addition of certain non-commuting random variables", J. Funct. Anal. 66(3), 323–346
(1986). Free additive convolution adds R-transforms.
J. A. Mingo, R. Speicher, "Free Probability and Random Matrices", Fields Institute Monographs 35,
Springer, New York (2017), doi:10.1007/978-1-4939-6942-5. Cauchy/R-transforms and the Stieltjes
inversion formula.
A. Nica, R. Speicher, "Lectures on the Combinatorics of Free Probability", London Math. Soc.
Lecture Note Series 335, Cambridge University Press (2006), doi:10.1017/CBO9780511735127. Free
cumulants and moments.
R. P. Brent, "Algorithms for Minimization without Derivatives", Prentice-Hall, Englewood Cliffs
(1973); Dover reprint (2002), ISBN 0-486-41998-3. Ch. 4: the bracketed root finding on K'.
"""
import math

import numpy as np

from .._validate import InputError
from .. import _validate
from .laws import MarchenkoPastur, SpectralLaw
from .transforms import cubic_roots, density_from_stieltjes, herglotz_root

__all__ = ["PenningtonBahri", "index", "eps_c", "alpha0", "support_edges", "density", "cdf",
           "moments", "g_c", "im_antiderivative", "PHI_MAX", "EPS_MAX"]


_EPS_FLOOR = 1e-300  # smallest eps the root finding resolves (2 eps G^2 must not overflow)
#: Largest phi the model resolves: the bulk at phi has relative width 4/sqrt(phi), which must
#: stay far above float64 rounding (at phi = 1e27 the two edges coincide, at 1e28 the edge
#: bracketing fails); measured over eps in [0, EPS_MAX] (tests/test_analytic_hessian.py).
PHI_MAX = 1e20
#: Largest eps: the fourth moment 8 eps^2 + ... must stay below the float64 maximum 1.8e308.
EPS_MAX = 1e150


class PenningtonBahri(SpectralLaw):
    r"""Spectral law of :math:`H = H_0 + H_1` (Marchenko–Pastur :math:`\varphi` :math:`\boxplus`
    semicircle of variance :math:`2\varepsilon`), PB17 Sec. 3.

    Parameters
    ----------
    phi : float
        :math:`\varphi > 0`, parameters / (outputs × samples) (DESIGN.md: :math:`n/m`).
    eps : float
        :math:`\varepsilon \ge 0`, the loss; the residual part has variance :math:`2\varepsilon`.
        At :math:`\varepsilon = 0` the law is Marchenko–Pastur.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3: the Hessian model H = H_0 +
       H_1.
    .. [2] V. A. Marchenko, L. A. Pastur, "Distribution of eigenvalues for some sets of random
       matrices", Math. USSR-Sbornik 1(4), 457–483 (1967), doi:10.1070/SM1967v001n04ABEH001994. The
       law of H_0.
    .. [3] E. P. Wigner, "On the distribution of the roots of certain symmetric matrices", Ann. of
       Math. 67(2), 325–327 (1958), doi:10.2307/1970008. The law of H_1.
    .. [4] D. Voiculescu, "Addition of certain non-commuting random variables", J. Funct. Anal.
       66(3), 323–346 (1986). The R-transform of the free sum.
    """

    def __init__(self, phi, eps):
        self.phi = _validate.positive("phi", phi, PHI_MAX)
        self.eps = _validate.nonnegative("eps", eps, EPS_MAX)
        # below _EPS_FLOOR the numerics (not the moments) use the floor: the smeared atom's
        # edges +-2 sqrt(2 eps (1 - 1/phi)) then move by < 1e-149, the index by far less
        self._e = max(self.eps, _EPS_FLOOR)
        self._mp = MarchenkoPastur(self.phi) if self.eps == 0 else None
        self._crit = None if self._mp else self._critical_points()
        self._edges = None if self._mp else self.K(self._crit)

    # -- the algebra of K ------------------------------------------------------------------
    def r_sympy(self, g):
        r"""sympy expression of :math:`R(g) = 1/(1-\varphi g) + 2\varepsilon g`.

        References
        ----------
        .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
           Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806
           (2017), https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3.
        .. [2] D. Voiculescu, "Addition of certain non-commuting random variables", J. Funct. Anal.
           66(3), 323–346 (1986). R-transforms of free summands add.
        """
        return 1 / (1 - self.phi * g) + 2 * self.eps * g

    def r_transform(self, g):
        r""":math:`R(g) = R_{MP}(g) + R_{SC}(g) = 1/(1-\varphi g) + 2\varepsilon g`.

        References
        ----------
        .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
           Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806
           (2017), https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3.
        .. [2] D. Voiculescu, "Addition of certain non-commuting random variables", J. Funct. Anal.
           66(3), 323–346 (1986). R-transforms of free summands add.
        """
        g = np.asarray(g)
        return 1 / (1 - self.phi * g) + 2 * self.eps * g

    def K(self, g):
        r""":math:`K(g) = R(g) + 1/g`, the functional inverse of :math:`G`.

        References
        ----------
        .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
           Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806
           (2017), https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3.
        .. [2] D. Voiculescu, "Addition of certain non-commuting random variables", J. Funct. Anal.
           66(3), 323–346 (1986). The R-transform and the inverse of G.
        """
        g = np.asarray(g)
        return 1 / (1 - self.phi * g) + 2 * self._e * g + 1 / g

    def dK(self, g):
        r""":math:`K'(g) = \varphi/(1-\varphi g)^2 + 2\varepsilon - 1/g^2`.

        References
        ----------
        .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
           Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806
           (2017), https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3.
        """
        g = np.asarray(g)
        return self.phi * (1 / (1 - self.phi * g)) ** 2 + 2 * self._e - (1 / g) ** 2

    def cubic_coefficients(self, z):
        """Coefficients (highest first) of the cubic in G at ``z`` (module docstring).

        References
        ----------
        .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
           Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806
           (2017), https://proceedings.mlr.press/v70/pennington17a.html. Eq. (12).
        """
        z = np.asarray(z, dtype=complex)
        phi, eps = self.phi, self._e
        return [np.full(z.shape, 2 * eps * phi, dtype=complex), -(2 * eps + z * phi),
                z + phi - 1, np.full(z.shape, -1.0 + 0j)]

    def _roots(self, z):
        return cubic_roots(self.cubic_coefficients(z))

    def _critical_points(self):
        r"""Critical points of :math:`K` on the physical branch, in the order of their edges.

        Exactly one zero of :math:`K'` lies in :math:`(-\infty, 0)` (left edge) and one in
        :math:`(0, 1/\varphi)` (right edge): more would give the cubic more than three roots
        somewhere.  On :math:`(1/\varphi, \infty)`, :math:`K'` has its only minimum at
        :math:`g_m = 1/(\varphi - \varphi^{2/3})` (:math:`\varphi > 1`); when
        :math:`K'(g_m) < 0` its two zeros bound a gap.  Brackets: :math:`K' > 0` at
        :math:`|g| = 1/\sqrt{2\varepsilon}`; :math:`K' < 0` at :math:`|g| = c`,
        :math:`c = \min(1/(2\sqrt{\varphi + 2\varepsilon}), 1/(2\varphi))`; :math:`K' > 0` at
        :math:`(1 \mp \delta)/\varphi` with :math:`\delta = 1/(2 + 2\sqrt\varphi)`.
        """
        from scipy.optimize import brentq
        phi, eps = self.phi, self._e
        big = 2 / math.sqrt(2 * eps)
        c = min(0.5 / math.sqrt(phi + 2 * eps), 0.5 / phi)
        delta = 1 / (2 + 2 * math.sqrt(phi))

        def zero(a, b):
            # bracket [a, b] of one sign; bisect in log|g| (edges span many decades as eps -> 0),
            # then polish with Newton steps on K'
            sign = 1.0 if a > 0 else -1.0
            t = brentq(lambda t: self.dK(sign * math.exp(t)), math.log(abs(a)), math.log(abs(b)),
                       xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
            for _ in range(2):  # Newton in t: d K'/dt = g K''(g), written to avoid overflow
                g = sign * math.exp(t)
                w = 1 / (1 - phi * g)
                slope = 2 * phi ** 2 * (g * w) * w * w + 2 * (1 / g) * (1 / g)
                if not slope > 0:
                    break
                t -= self.dK(g) / slope
            g = sign * math.exp(t)
            return g

        pts = [zero(-big, -c)]
        if phi > 1:
            g_m = 1 / (phi - phi ** (2 / 3))
            if self.dK(g_m) < 0:
                pts += [zero(g_m, max(big, 2 * g_m)), zero((1 + delta) / phi, g_m)]
        # K' > 0 at g = big < 1/phi too: the tighter bracket keeps tiny phi finite
        pts.append(zero(c, min((1 - delta) / phi, big)))
        return np.array(pts)

    def support(self):
        r"""Support intervals: :math:`K(g^*)` at the critical points :math:`K'(g^*) = 0` of the
        physical branch (module docstring).

        References
        ----------
        .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
           Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806
           (2017), https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3.
        .. [2] R. P. Brent, "Algorithms for Minimization without Derivatives", Prentice-Hall,
           Englewood Cliffs (1973); Dover reprint (2002), ISBN 0-486-41998-3. Ch. 4: Brent's method
           (scipy.optimize.brentq) for the zeros of K'.
        """
        if self._mp:
            return self._mp.support()
        e = self._edges
        return [[float(e[i]), float(e[i + 1])] for i in range(0, len(e), 2)]

    def atoms(self):
        r"""The Marchenko–Pastur atom (mass :math:`1 - 1/\varphi` at 0) when :math:`\varepsilon = 0`
        and :math:`\varphi > 1`; none for :math:`\varepsilon > 0`.

        References
        ----------
        .. [1] V. A. Marchenko, L. A. Pastur, "Distribution of eigenvalues for some sets of random
           matrices", Math. USSR-Sbornik 1(4), 457–483 (1967), doi:10.1070/SM1967v001n04ABEH001994.
           The Marchenko–Pastur law.
        """
        return self._mp.atoms() if self._mp else []

    def _inside(self, x):
        return np.any([(x > a) & (x < b) for a, b in self.support()], axis=0)

    def _G_real(self, x, roots):
        """Physical (real) G at real x outside the support: the root on the decreasing branch
        of K next to the edge, i.e. between the critical point and the pole."""
        g_pts, e = self._crit, self._edges
        r = roots.real
        left = np.where(r < 0, r, -np.inf).max(0)                          # in (g_left, 0)
        right = np.where((r > 0) & (r < 1 / self.phi), r, np.inf).min(0)    # in (0, g_right)
        out = np.where(x <= e[0], left, right)
        if len(e) == 4:   # gap: G between the local max g_pts[2] and the local min g_pts[1]
            mid = np.where((r >= g_pts[2]) & (r <= g_pts[1]), r, -np.inf).max(0)
            out = np.where((x >= e[1]) & (x <= e[2]), mid, out)
        return out

    def stieltjes(self, z):
        r"""The physical root of the cubic (module docstring); outside the support the real root on
        the branch of :math:`K` next to the edge.

        References
        ----------
        .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
           Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806
           (2017), https://proceedings.mlr.press/v70/pennington17a.html. Eq. (12).
        """
        if self._mp:
            return self._mp.stieltjes(z)
        z = np.asarray(z, dtype=complex)
        roots = self._roots(z)
        G = herglotz_root(roots, z)
        real = (z.imag == 0) & ~self._inside(z.real)
        return np.where(real, self._G_real(z.real, roots) + 0j, G)

    def density(self, x):
        r""":math:`-\operatorname{Im} G(x + i0)/\pi` from the Herglotz root of the cubic, 0 outside
        the support.

        References
        ----------
        .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
           Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806
           (2017), https://proceedings.mlr.press/v70/pennington17a.html. Eq. (12).
        .. [2] J. A. Mingo, R. Speicher, "Free Probability and Random Matrices", Fields Institute
           Monographs 35, Springer, New York (2017), doi:10.1007/978-1-4939-6942-5. The Stieltjes
           inversion formula.
        """
        x = _validate.finite_array("x", x)
        if self._mp:
            return self._mp.density(x)
        inside = self._inside(x)
        G = herglotz_root(self._roots(np.where(inside, x, 0.0)), x)
        return np.where(inside, density_from_stieltjes(G), 0.0)

    def cdf(self, x):
        r""":math:`\mu((-\infty, x])` from the antiderivative :math:`F` (module docstring).

        References
        ----------
        .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
           Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806
           (2017), https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3 (the law; the
           antiderivative F is derived in this module).
        .. [2] J. A. Mingo, R. Speicher, "Free Probability and Random Matrices", Fields Institute
           Monographs 35, Springer, New York (2017), doi:10.1007/978-1-4939-6942-5. The Stieltjes
           inversion formula.
        """
        x = _validate.finite_array("x", x)
        if self._mp:
            return self._mp.cdf(x)
        e = self._edges
        out = np.where(x <= e[0], 0.0, 1.0)
        if len(e) == 4:
            out = np.where((x >= e[1]) & (x <= e[2]), 1 - 1 / self.phi, out)
        inside = self._inside(x)
        if np.any(inside):
            xi = x[inside]
            G = herglotz_root(self._roots(xi), xi + 0j)
            out[inside] = 1 - im_antiderivative(G, self.phi, self._e) / np.pi
        return np.clip(out, 0.0, 1.0)


    def index(self):
        r"""Index :math:`\alpha(\varepsilon, \varphi) = \mu((-\infty, 0))`, the fraction of
        negative eigenvalues (PB17 Eq. (13)); 0 at :math:`\varepsilon = 0` (:math:`H_0 \succeq 0`).

        References
        ----------
        .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
           Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806
           (2017), https://proceedings.mlr.press/v70/pennington17a.html. Eq. (13).
        """
        if self._mp:
            return 0.0
        return float(self.cdf(np.array([0.0]))[0])

    def free_cumulants(self, k):
        r""":math:`\kappa_1 = 1`, :math:`\kappa_2 = \varphi + 2\varepsilon`,
        :math:`\kappa_j = \varphi^{j-1}` (:math:`j \ge 3`): the Marchenko–Pastur cumulants plus the
        semicircle's :math:`\kappa_2 = 2\varepsilon`.

        References
        ----------
        .. [1] A. Nica, R. Speicher, "Lectures on the Combinatorics of Free Probability", London
           Math. Soc. Lecture Note Series 335, Cambridge University Press (2006),
           doi:10.1017/CBO9780511735127. Additivity of free cumulants; free Poisson and semicircular
           cumulants.
        .. [2] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
           Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806
           (2017), https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3.
        """
        k = _validate.integer("k", k, 1)
        kappa = [self.phi ** (j - 1) for j in range(1, k + 1)]
        if k >= 2:
            kappa[1] += 2 * self.eps
        return kappa


def g_c(phi):
    r"""Double root :math:`G(0)` of the cubic at :math:`\varepsilon = \varepsilon_c`:
    :math:`g_c = 8/((t-3)(t+1))`, :math:`t = \sqrt{1+8\varphi}`, for :math:`0 < \varphi < 1`.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Eq. (16): the critical loss at which
       the double root appears.
    """
    phi = _check_phi_below_one(phi)
    t = math.sqrt(1 + 8 * phi)
    return 8 / ((t - 3) * (t + 1))


def _check_phi_below_one(phi):
    phi = _validate.positive("phi", phi)
    if phi >= 1:
        raise InputError(f"phi must be in (0, 1) here (eps_c = 0 and the 3/2 law does not apply "
                         f"for phi >= 1), got {phi!r}")
    return phi


def eps_c(phi):
    r"""Critical loss :math:`\varepsilon_c(\varphi)` below which the index vanishes.

    :math:`\varepsilon_c = (1 - 20\varphi - 8\varphi^2 + (1+8\varphi)^{3/2})/16` for
    :math:`0 < \varphi < 1` (PB17 Eq. (16); derived in ``theory/derive_eps_c.py``),
    written as :math:`(3-t)^3(1+t)/128`, :math:`t = \sqrt{1+8\varphi}`, to avoid cancellation;
    :math:`\varepsilon_c = 0` for :math:`\varphi \ge 1`.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Eq. (16).
    """
    phi = _validate.positive("phi", phi)
    if phi >= 1:
        return 0.0
    t = math.sqrt(1 + 8 * phi)
    return (3 - t) ** 3 * (1 + t) / 128


def alpha0(phi):
    r"""Coefficient of the 3/2 law :math:`\alpha \approx \alpha_0 ((\varepsilon - \varepsilon_c)/
    \varepsilon_c)^{3/2}` as :math:`\varepsilon \downarrow \varepsilon_c` (PB17 Eq. (17)).

    :math:`\alpha_0(\varphi) = 2(3-t)/(3\pi\sqrt t\,(1+t))`, :math:`t = \sqrt{1+8\varphi}`,
    for :math:`0 < \varphi < 1`, derived in ``theory/derive_alpha0.py`` from the edge expansion
    :math:`\rho(x) \approx \pi^{-1}\sqrt{2/|K''(g_c)|}\sqrt{x - x_-}` and
    :math:`dx_-/d\varepsilon = 2 g_c`.  Raises ``ValueError`` for :math:`\varphi \ge 1`, where
    :math:`\varepsilon_c = 0` and the index jumps instead.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Eq. (17).
    """
    phi = _check_phi_below_one(phi)
    t = math.sqrt(1 + 8 * phi)
    return 2 * (3 - t) / (3 * math.pi * math.sqrt(t) * (1 + t))


def index(eps, phi):
    r"""Index :math:`\alpha(\varepsilon, \varphi)` of the Pennington–Bahri Hessian (see
    :meth:`PenningtonBahri.index`).

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Eq. (13).
    """
    return PenningtonBahri(phi, eps).index()


def support_edges(phi, eps):
    """Support intervals ``[[left, right], ...]`` of the continuous part, increasing.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3.
    """
    return PenningtonBahri(phi, eps).support()


def density(x, phi, eps):
    """Density of the continuous part of the Pennington–Bahri law at ``x``.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3.
    .. [2] J. A. Mingo, R. Speicher, "Free Probability and Random Matrices", Fields Institute
       Monographs 35, Springer, New York (2017), doi:10.1007/978-1-4939-6942-5. The Stieltjes
       inversion formula.
    """
    return PenningtonBahri(phi, eps).density(x)


def cdf(x, phi, eps):
    """CDF of the Pennington–Bahri law at ``x`` (atoms included).

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3.
    """
    return PenningtonBahri(phi, eps).cdf(x)


def moments(k, phi, eps):
    """First ``k`` moments of H, exactly from the free cumulants.

    References
    ----------
    .. [1] A. Nica, R. Speicher, "Lectures on the Combinatorics of Free Probability", London Math.
       Soc. Lecture Note Series 335, Cambridge University Press (2006),
       doi:10.1017/CBO9780511735127. Moments from free cumulants.
    .. [2] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3.
    """
    return PenningtonBahri(phi, eps).moments(k)


def _arg_lower(w):
    """arg w in [-pi, 0] for w in the closed lower half-plane (real negative -> -pi)."""
    return np.arctan2(np.where(w.imag >= 0, -0.0, w.imag), w.real)


def _arg_upper(w):
    """arg w in [0, pi] for w in the closed upper half-plane (real negative -> +pi)."""
    return np.arctan2(np.where(w.imag <= 0, 0.0, w.imag), w.real)


def im_antiderivative(G, phi, eps):
    r""":math:`\operatorname{Im} F(x + i0)` for the Marchenko–Pastur(:math:`\varphi`)
    :math:`\boxplus` semicircle(:math:`2\varepsilon`) family, :math:`\varepsilon \ge 0`.

    With :math:`K(g) = 1/(1-\varphi g) + 2\varepsilon g + 1/g`, integrating :math:`z\,dG =
    K(G)\,dG` by parts gives the antiderivative of :math:`G`,
    :math:`F(z) = Gz + \varphi^{-1}\log(1-\varphi G) - \varepsilon G^2 - \log G`, hence the CDF
    :math:`\mu((-\infty, x]) = 1 - \operatorname{Im} F(x + i0)/\pi` (:math:`F(-\infty)` has
    imaginary part :math:`\pi`).  Along the real axis :math:`G` stays in the closed lower
    half-plane and :math:`1 - \varphi G` in the closed upper one, and neither vanishes, so
    the branches :math:`\arg G \in [-\pi, 0]`, :math:`\arg(1-\varphi G) \in [0, \pi]` are
    continuous; an atom at 0 (:math:`\varepsilon = 0`, :math:`\varphi > 1`) is counted.

    Evaluated without cancellation: :math:`Gz = G K(G) = G/(1-w) + 2\varepsilon G^2 + 1` with
    :math:`w = \varphi G`, so :math:`\operatorname{Im} F = \varepsilon \operatorname{Im} G^2 +
    \varphi^{-1} \operatorname{Im}[w/(1-w) + \log(1-w)] - \arg G`, and for :math:`|w| < 0.1`
    the bracket is the series :math:`\sum_{k\ge2} (1 - 1/k) w^k` (no :math:`1/\varphi`
    blow-up when :math:`\varphi \to 0`); :math:`\varepsilon G^2` is formed as
    :math:`(2\varepsilon\,\mathrm{Re}\,G)\,\mathrm{Im}\,G/\ldots` so that it cannot overflow.
    ``G`` is the physical :math:`G(x + i0)`.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3: the Marchenko–Pastur ⊞
       semicircle family (the antiderivative is derived here).
    .. [2] V. A. Marchenko, L. A. Pastur, "Distribution of eigenvalues for some sets of random
       matrices", Math. USSR-Sbornik 1(4), 457–483 (1967), doi:10.1070/SM1967v001n04ABEH001994. The
       zero-loss member.
    .. [3] J. A. Mingo, R. Speicher, "Free Probability and Random Matrices", Fields Institute
       Monographs 35, Springer, New York (2017), doi:10.1007/978-1-4939-6942-5. The Stieltjes
       inversion formula.
    """
    G = np.asarray(G, dtype=complex)
    w = phi * G
    small = np.abs(w) < 0.1
    ws = np.where(small, w, 0)
    series = np.zeros_like(G)
    for k in range(18, 1, -1):                      # sum_{k>=2} (1 - 1/k) w^(k-1), Horner
        series = series * ws + (1 - 1 / k)
    A_small = (G * ws * series).imag                # = Im[...]/phi, since w^k/phi = G w^(k-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        wb = np.where(small, 0.5, w)
        A_big = (G / (1 - wb)).imag + _arg_upper(1 - wb) / phi
    A = np.where(small, A_small, A_big)
    return (eps * G.real) * (2 * G.imag) + A - _arg_lower(G)
