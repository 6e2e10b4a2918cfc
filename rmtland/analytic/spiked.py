r"""Spiked models: where finite-rank perturbations of a random matrix leave the bulk.

Additive spikes (Benaych-Georges & Nadakuditi 2011, Theorems 2.1 and 2.3): for a bulk law
:math:`\mu` with Stieltjes transform :math:`G` (DESIGN.md convention, :math:`G(z)\sim 1/z`) and
right edge :math:`b`, and :math:`X + \sum_{i\le r}\theta_i u_i u_i^\top` with the :math:`u_i`
orthonormal and free from :math:`X` (e.g. Haar-random directions), an eigenvalue separates
from the right edge for each :math:`\theta_i > \theta_c = 1/G(b^+)`, at the :math:`\rho_i > b`
with :math:`G(\rho_i) = 1/\theta_i`; its eigenvector :math:`\tilde u_i` has
:math:`|\langle\tilde u_i, u_i\rangle|^2 \to -1/(\theta_i^2\,G'(\rho_i))`.  Below
:math:`\theta_c` no eigenvalue separates (it sticks to :math:`b`) and the overlap tends to 0.

Multiplicative (covariance) spikes on Marchenko–Pastur (Baik, Ben Arous & Péché 2005; Baik &
Silverstein 2006; Paul 2007): :math:`W = \Sigma^{1/2} X X^\top \Sigma^{1/2}/m`, ``X`` of shape
``n × m`` with i.i.d. unit-variance entries, :math:`\varphi = n/m` (any :math:`\varphi>0`,
the rank-deficient :math:`\varphi > 1` included), :math:`\Sigma = I` except population
eigenvalues :math:`\ell_i`: an outlier separates for :math:`\ell_i > 1 + \sqrt\varphi`, at
:math:`\ell_i(1 + \varphi/(\ell_i - 1))`, with squared overlap
:math:`(1 - \varphi/(\ell_i-1)^2)/(1 + \varphi/(\ell_i-1))`.

References
----------
F. Benaych-Georges, R. R. Nadakuditi, "The eigenvalues and eigenvectors of finite, low rank
perturbations of large random matrices", Adv. Math. 227(1), 494–521 (2011),
doi:10.1016/j.aim.2011.02.007, arXiv:0910.2120.
J. Baik, G. Ben Arous, S. Péché, "Phase transition of the largest eigenvalue for nonnull complex
sample covariance matrices", Ann. Probab. 33(5), 1643–1697 (2005), doi:10.1214/009117905000000233.
J. Baik, J. W. Silverstein, "Eigenvalues of large sample covariance matrices of spiked
population models", J. Multivariate Anal. 97(6), 1382–1408 (2006), doi:10.1016/j.jmva.2005.08.003.
D. Paul, "Asymptotics of sample eigenstructure for a large dimensional spiked covariance
model", Statist. Sinica 17(4), 1617–1642 (2007).
"""
import math

import numpy as np

from .. import _validate
from .._validate import InputError

__all__ = ["right_edge", "stieltjes_at_edge", "additive_threshold", "additive_location",
           "additive_overlap", "additive_strength", "covariance_threshold",
           "covariance_location", "covariance_strength", "covariance_overlap"]


def right_edge(law):
    """Right end :math:`b` of the support of ``law`` (atoms above the continuous part
    included)."""
    b = law.support()[-1][1]
    return max([b] + [loc for loc, mass in law.atoms() if mass > 0])


def _G(law, x):
    """Real :math:`G(x)` for real ``x`` right of the support."""
    return float(law.stieltjes(np.array([complex(x)])).real[0])


def stieltjes_at_edge(law):
    r""":math:`G(b^+)`, the limit of :math:`G` at the right edge from outside.

    Near a square-root edge :math:`G(b+\delta) = G(b^+) - c\sqrt\delta + O(\delta)`, so
    :math:`A(\delta) = 2G(b+\delta) - G(b+4\delta)` cancels the :math:`\sqrt\delta` term
    and :math:`(4A(\delta) - A(4\delta))/3` the :math:`\delta` term (Richardson);
    :math:`\delta = 10^{-8}` times the scale of the support leaves an
    :math:`O(\delta^{3/2})` error.  (For a hard edge with an inverse-square-root density
    :math:`G(b^+)` is infinite and the threshold 0: not the laws used here.)"""
    b = right_edge(law)
    lo = law.support()[0][0]
    d = 1e-8 * max(b - lo, abs(b), 1e-300)
    g = [_G(law, b + d * 4 ** k) for k in range(3)]
    a1, a4 = 2 * g[0] - g[1], 2 * g[1] - g[2]        # G(b+) - 2 c1 delta + O(delta^1.5)
    return (4 * a1 - a4) / 3


def additive_threshold(law):
    r"""BBP threshold of an additive spike, :math:`\theta_c = 1/G(b^+)` (Benaych-Georges &
    Nadakuditi 2011, Sec. 3.1); e.g. :math:`\sigma` for the semicircle of variance
    :math:`\sigma^2`, :math:`\sqrt\varphi(1+\sqrt\varphi)` for Marchenko–Pastur(φ)."""
    return 1.0 / stieltjes_at_edge(law)


def additive_location(law, theta):
    r"""Limit :math:`\rho > b` of the outlier of an additive spike :math:`\theta >
    \theta_c`: the root of :math:`G(\rho) = 1/\theta` (Benaych-Georges & Nadakuditi 2011,
    Theorem 2.1).  :math:`G` decreases on :math:`(b, \infty)` and :math:`G(b+\theta) \le
    1/\theta`, so the root is bracketed by :math:`(b, b + \theta]`."""
    theta = _validate.positive("theta", theta)
    tc = additive_threshold(law)
    if theta <= tc:
        raise InputError(f"theta must exceed the BBP threshold {tc:.6g} for an outlier to "
                         f"separate, got {theta!r}")
    b = right_edge(law)
    lo = b + 1e-8 * max(theta, abs(b))
    if _G(law, lo) <= 1 / theta:      # too close to the threshold to resolve
        return lo
    from scipy.optimize import brentq     # lazily: keeps `import rmtland.experiments` light
    return brentq(lambda x: _G(law, x) - 1 / theta, lo, b + theta, xtol=1e-14 * (b + theta),
                  rtol=1e-13)


def additive_overlap(law, theta):
    r"""Limit of :math:`|\langle\tilde u, u\rangle|^2` for an additive spike :math:`\theta >
    \theta_c`: :math:`-1/(\theta^2 G'(\rho))` at the outlier :math:`\rho`
    (Benaych-Georges & Nadakuditi 2011, Theorem 2.3; :math:`1 - \theta^{-2}` for the unit
    semicircle).  :math:`G'` by a central difference (step :math:`10^{-5}` of the distance to
    the edge; :math:`G` is analytic there)."""
    rho = additive_location(law, theta)
    h = 1e-5 * (rho - right_edge(law))
    dG = (_G(law, rho + h) - _G(law, rho - h)) / (2 * h)
    return -1.0 / (theta ** 2 * dG)


def additive_strength(law, x):
    r"""The spike strength that puts an outlier at ``x`` right of the bulk: :math:`\hat\theta
    = 1/G(x)`, the inverse of :func:`additive_location` (Benaych-Georges & Nadakuditi 2011,
    Theorem 2.1: :math:`G(\rho) = 1/\theta`).  ``x`` must lie right of the right edge
    :math:`b`; then :math:`\hat\theta > \theta_c` (:math:`G` decreases on
    :math:`(b, \infty)`)."""
    x = _validate.finite("x", x)
    b = right_edge(law)
    if x <= b:
        raise InputError(f"x must lie right of the bulk's right edge {b:.6g}, got {x!r}")
    return 1.0 / _G(law, x)


def covariance_threshold(phi):
    r"""BBP threshold of a population (covariance) spike on MP(φ): :math:`1 + \sqrt\varphi`
    (Baik, Ben Arous & Péché 2005; Baik & Silverstein 2006)."""
    return 1.0 + math.sqrt(_validate.positive("phi", phi))


def covariance_location(ell, phi):
    r"""Outlier of a population spike :math:`\ell > 1 + \sqrt\varphi` on MP(φ):
    :math:`\ell(1 + \varphi/(\ell - 1))` (Baik & Silverstein 2006, Theorem 1.1)."""
    phi = _validate.positive("phi", phi)
    ell = _validate.positive("ell", ell)
    if ell <= covariance_threshold(phi):
        raise InputError(f"ell must exceed 1 + sqrt(phi) = {covariance_threshold(phi):.6g}, "
                         f"got {ell!r}")
    return ell * (1 + phi / (ell - 1))


def covariance_strength(x, phi):
    r"""The population spike :math:`\ell` whose outlier sits at ``x`` on MP(φ), the inverse of
    :func:`covariance_location`: :math:`x = \ell + \varphi\ell/(\ell-1)` is the quadratic
    :math:`\ell^2 - (1 - \varphi + x)\ell + x = 0`, whose larger root
    :math:`\ell = (1 - \varphi + x + \sqrt{(1 - \varphi + x)^2 - 4x})/2` exceeds
    :math:`1 + \sqrt\varphi` for every ``x`` right of the edge :math:`(1 + \sqrt\varphi)^2`
    (Baik & Silverstein 2006, Theorem 1.1)."""
    phi = _validate.positive("phi", phi)
    x = _validate.finite("x", x)
    b = (1 + math.sqrt(phi)) ** 2
    if x <= b:
        raise InputError(f"x must lie right of the Marchenko-Pastur edge (1 + sqrt(phi))^2 = "
                         f"{b:.6g}, got {x!r}")
    c = 1 - phi + x
    return (c + math.sqrt(max(c * c - 4 * x, 0.0))) / 2


def covariance_overlap(ell, phi):
    r"""Limit of the squared overlap of the outlier's eigenvector with the population spike,
    :math:`(1 - \varphi/(\ell-1)^2)/(1 + \varphi/(\ell-1))` (Paul 2007, Theorem 4)."""
    covariance_location(ell, phi)
    return (1 - phi / (ell - 1) ** 2) / (1 + phi / (ell - 1))
