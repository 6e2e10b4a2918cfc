r"""Stieltjes and R-transforms: the one sign convention of rmtland, and the numerics around it.

Convention (DESIGN.md), used by every law in :mod:`rmtland.analytic`:

* Stieltjes transform :math:`G(z) = \int \rho(\lambda)\,(z-\lambda)^{-1}\,d\lambda`, so
  :math:`G(z) \sim 1/z` at infinity and :math:`\operatorname{Im} G(z) < 0` for
  :math:`\operatorname{Im} z > 0`;
* density :math:`\rho(x) = -\pi^{-1} \lim_{\eta\downarrow 0} \operatorname{Im} G(x + i\eta)`;
* R-transform: :math:`G(R(g) + 1/g) = g`; free additive convolution adds R-transforms, so the
  functional inverse of :math:`G_{\mu\boxplus\nu}` is :math:`K(g) = R_\mu(g) + R_\nu(g) + 1/g`
  (Voiculescu; Mingo & Speicher, *Free Probability and Random Matrices*, 2017, Ch. 2).

On the real axis every function here returns the boundary value from the upper half-plane,
:math:`G(x + i0)`.

References
----------
D. Voiculescu, "Addition of certain non-commuting random variables", J. Funct. Anal. 66(3), 323–346
(1986). The R-transform and the additivity of R-transforms under free additive convolution.
J. A. Mingo, R. Speicher, "Free Probability and Random Matrices", Fields Institute Monographs 35,
Springer, New York (2017), doi:10.1007/978-1-4939-6942-5. Ch. 2 (the convention above).
A. Nica, R. Speicher, "Lectures on the Combinatorics of Free Probability", London Math. Soc.
Lecture Note Series 335, Cambridge University Press (2006), doi:10.1017/CBO9780511735127. The
moment–free-cumulant relation.
R. Speicher, "Multiplicative functions on the lattice of non-crossing partitions and free
convolution", Math. Ann. 298, 611–628 (1994). Free cumulants as multiplicative functions on
non-crossing partitions.
W. H. Press, S. A. Teukolsky, W. T. Vetterling, B. P. Flannery, "Numerical Recipes: The Art of
Scientific Computing", 3rd ed., Cambridge University Press (2007), ISBN 978-0-521-88068-8. §5.6
(quadratic and cubic equations) and §9.5 (roots of polynomials: deflation, polishing).
A. Edelman, H. Murakami, "Polynomial roots from companion matrix eigenvalues", Math. Comp. 64(210),
763–776 (1995), doi:10.1090/S0025-5718-1995-1262279-2. Roots as companion-matrix eigenvalues.
"""
import numpy as np

__all__ = ["poly_roots", "cubic_roots", "herglotz_root", "moments_from_free_cumulants",
           "free_cumulants_from_moments", "density_from_stieltjes"]


def _cbrt(w):
    """Principal complex cube root, exact for real negative input (-1 -> 1/2 + i sqrt(3)/2)."""
    return np.where(w == 0, 0, np.exp(np.log(np.where(w == 0, 1, w)) / 3))


def _quadratic(a, b, c):
    """Roots of a g^2 + b g + c without cancellation (the larger root first)."""
    d = np.sqrt(b * b - 4 * a * c)
    d = np.where((np.conj(b) * d).real >= 0, d, -d)
    w = -(b + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = np.where(a != 0, w / (2 * np.where(a != 0, a, 1)), np.inf)
    r2 = 2 * c / np.where(w == 0, 1, w)
    return r1, r2


def _cardano(b, c, d):
    """Roots of the monic cubic g^3 + b g^2 + c g + d (Cardano, |w| maximal)."""
    p = c - b * b / 3
    q = 2 * b ** 3 / 27 - b * c / 3 + d
    disc = np.sqrt(q * q / 4 + p ** 3 / 27)
    w = -q / 2 + np.where((np.conj(q) * disc).real <= 0, disc, -disc)
    u = _cbrt(w)
    v = np.where(u == 0, 0, -p / (3 * np.where(u == 0, 1, u)))
    omega = np.exp(2j * np.pi / 3)
    return np.stack([u + v, u * omega + v * omega.conjugate(),
                     u * omega.conjugate() + v * omega]) - b / 3


def _newton_step(coeffs, g):
    """P(g)/P'(g) for a cubic; where |g| > 1 it is g Q(1/g)/R(1/g) with the reversed
    polynomials, so that nothing overflows."""
    a3, a2, a1, a0 = coeffs
    big = np.abs(g) > 1
    y = np.where(big, 1 / np.where(big, g, 1), g)
    num = np.where(big, a0, a3)
    for hi, lo in ((a1, a2), (a2, a1), (a3, a0)):
        num = num * y + np.where(big, hi, lo)
    den = np.where(big, a1, 3 * a3) * y + 2 * a2
    den = den * y + np.where(big, 3 * a3, a1)
    return np.where(big, g, 1) * num / den


def cubic_roots(coeffs):
    r"""Roots of cubics :math:`a_3 g^3 + a_2 g^2 + a_1 g + a_0` with widely spread root sizes.

    Parameters
    ----------
    coeffs : sequence of 4 arrays (broadcastable), highest degree first.  Where :math:`a_3`
        is 0 (e.g. underflowed) the cubic is a quadratic and its third root is ``inf``.

    Returns
    -------
    roots : complex ndarray, shape ``(3, ...)``

    Notes
    -----
    The variable is scaled by :math:`\lambda = \max(|a_2/a_3|, |a_1/a_3|^{1/2}, |a_0/a_3|^{1/3})`
    (a bound on the root moduli up to a factor 2, Fujiwara 1916) so that Cardano's formula
    gives the largest root to full relative accuracy; that root is divided out from the
    constant term (backward deflation, stable for roots removed in decreasing modulus;
    Wilkinson 1963), the quadratic left is solved without cancellation, and every root gets
    two Newton steps (in :math:`1/g` where :math:`|g| > 1`, so that nothing overflows).

    References
    ----------
    .. [1] W. H. Press, S. A. Teukolsky, W. T. Vetterling, B. P. Flannery, "Numerical Recipes: The
       Art of Scientific Computing", 3rd ed., Cambridge University Press (2007), ISBN
       978-0-521-88068-8. §5.6 (Cardano's formula; the quadratic without cancellation) and §9.5
       (deflation and Newton polishing of polynomial roots).
    """
    a3, a2, a1, a0 = (np.asarray(c, dtype=complex) for c in np.broadcast_arrays(*coeffs))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lam = np.maximum.reduce([np.abs(a2 / a3), np.sqrt(np.abs(a1 / a3)),
                                 np.cbrt(np.abs(a0 / a3))])
        cubic = np.isfinite(lam) & (a3 != 0)
        lam = np.where(cubic & (lam > 0), lam, 1.0)
        b3 = np.where(cubic, a3, 1)
        y = _cardano(a2 / (b3 * lam), (a1 / lam) / (b3 * lam), ((a0 / lam) / lam) / (b3 * lam))
    r1 = lam * np.take_along_axis(y, np.argmax(np.abs(y), 0)[None], 0)[0]
    q0 = -a0 / np.where(cubic, r1, 1)
    q1 = (q0 - a1) / np.where(cubic, r1, 1)
    # cubic: a3 g^2 + q1 g + q0 is what is left; degenerate (a3 = 0): a2 g^2 + a1 g + a0
    q2, q1, q0 = np.where(cubic, a3, a2), np.where(cubic, q1, a1), np.where(cubic, q0, a0)
    scale = np.maximum.reduce([np.abs(q2), np.abs(q1), np.abs(q0)])
    r2, r3 = _quadratic(q2 / scale, q1 / scale, q0 / scale)
    roots = np.stack([np.where(cubic, r1, np.inf), r2, r3])
    for _ in range(2):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = _newton_step((a3, a2, a1, a0), roots)   # P' = 0 at a double root
        ok = np.isfinite(step) & (np.abs(step) < 0.5 * np.abs(roots))
        roots = np.where(ok, roots - step, roots)
    return roots


def poly_roots(coeffs, polish=2):
    r"""All roots of many polynomials at once.

    Parameters
    ----------
    coeffs : sequence of ``d + 1`` arrays or scalars
        Coefficients, highest degree first; they broadcast against each other, so one call
        solves a polynomial per grid point.  The leading coefficient must not vanish.
    polish : int
        Newton steps on the original polynomial (degrees 1, 2 and 4+; cubics always get the
        treatment of :func:`cubic_roots`).

    Returns
    -------
    roots : ndarray, complex, shape ``(d, ...)``

    Notes
    -----
    Degree 1 and 2 use closed forms (the quadratic without cancellation), degree 3
    :func:`cubic_roots` (accurate for widely spread roots), higher degrees the eigenvalues
    of the companion matrix.

    References
    ----------
    .. [1] W. H. Press, S. A. Teukolsky, W. T. Vetterling, B. P. Flannery, "Numerical Recipes: The
       Art of Scientific Computing", 3rd ed., Cambridge University Press (2007), ISBN
       978-0-521-88068-8. §5.6 (the quadratic without cancellation) and §9.5 (roots of polynomials,
       Newton polishing).
    .. [2] A. Edelman, H. Murakami, "Polynomial roots from companion matrix eigenvalues", Math.
       Comp. 64(210), 763–776 (1995), doi:10.1090/S0025-5718-1995-1262279-2. Roots of degree 4 and
       higher as companion-matrix eigenvalues.
    """
    c = np.stack(np.broadcast_arrays(*[np.asarray(ci, dtype=complex) for ci in coeffs]))
    d = c.shape[0] - 1
    shape = c.shape[1:]
    if d == 3:
        return cubic_roots(c)
    a = c[1:] / c[0]
    if d == 1:
        roots = -a[:1]
    elif d == 2:
        roots = np.stack(_quadratic(np.ones_like(a[0]), a[0], a[1]))
    else:
        comp = np.zeros(shape + (d, d), dtype=complex)
        comp[..., 0, :] = -np.moveaxis(a, 0, -1)
        comp[..., np.arange(1, d), np.arange(d - 1)] = 1
        roots = np.moveaxis(np.linalg.eigvals(comp), -1, 0)
    for _ in range(polish):
        val = np.zeros_like(roots)
        der = np.zeros_like(roots)
        for ck in c:
            der = der * roots + val
            val = val * roots + ck
        step = np.where(der != 0, val / np.where(der != 0, der, 1), 0)
        better = np.isfinite(step) & (np.abs(step) < 0.5 * (1 + np.abs(roots)))
        roots = np.where(better, roots - step, roots)
    return roots


def herglotz_root(roots, z):
    r"""Pick the physical branch of an algebraic Stieltjes transform.

    Parameters
    ----------
    roots : ndarray, shape ``(d, ...)``
        The candidate values of :math:`G(z)` (roots of :math:`P(G, z) = 0`).
    z : ndarray, shape ``(...)``
        Points with :math:`\operatorname{Im} z \ge 0`.

    Returns
    -------
    G : ndarray, shape ``(...)``
        The root with the most negative :math:`\operatorname{Im} G/|G|` (the sine of its
        argument: a huge real root whose imaginary part is rounding noise never wins).

    Notes
    -----
    For :math:`\operatorname{Im} z > 0` the Herglotz condition :math:`\operatorname{Im} G < 0`
    selects exactly one root when, as for free sums of the laws in this package, exactly one
    root lies in the lower half-plane at large :math:`|z|`: roots cannot cross the real axis
    while :math:`z` stays in the open upper half-plane (a real root gives a real
    :math:`z = K(G)`).  On the real axis the physical root is the lower member of the complex
    pair inside the support; outside it all roots are real and the caller must choose
    (see :mod:`rmtland.analytic.hessian`).

    References
    ----------
    .. [1] J. A. Mingo, R. Speicher, "Free Probability and Random Matrices", Fields Institute
       Monographs 35, Springer, New York (2017), doi:10.1007/978-1-4939-6942-5. The Cauchy
       (Stieltjes) transform maps the upper half-plane into the lower one.
    .. [2] D. Voiculescu, "Addition of certain non-commuting random variables", J. Funct. Anal.
       66(3), 323–346 (1986). The R-transform, whose functional inverse K gives z = K(G).
    """
    with np.errstate(invalid="ignore"):
        sine = np.where(np.abs(roots) > 0, roots.imag / np.abs(roots), 0.0)   # sin(arg)
    idx = np.argmin(np.nan_to_num(sine, nan=0.0), axis=0)
    return np.take_along_axis(roots, idx[None], axis=0)[0]


def moments_from_free_cumulants(kappa):
    r"""Moments :math:`m_1..m_K` from free cumulants :math:`\kappa_1..\kappa_K`.

    Notes
    -----
    Moment series :math:`M(z) = 1 + \sum_n m_n z^n` satisfies
    :math:`M(z) = 1 + \sum_s \kappa_s z^s M(z)^s` (Nica & Speicher, *Lectures on the
    Combinatorics of Free Probability*, 2006, Prop. 11.4/Lect. 16), solved order by order.
    Works with floats, ``fractions.Fraction`` or sympy expressions.

    References
    ----------
    .. [1] A. Nica, R. Speicher, "Lectures on the Combinatorics of Free Probability", London Math.
       Soc. Lecture Note Series 335, Cambridge University Press (2006),
       doi:10.1017/CBO9780511735127. Prop. 11.4 and Lecture 16: the functional relation between the
       moment series and the free cumulants.
    .. [2] R. Speicher, "Multiplicative functions on the lattice of non-crossing partitions and free
       convolution", Math. Ann. 298, 611–628 (1994). The moment–cumulant formula over non-crossing
       partitions.
    """
    kappa = list(kappa)
    K = len(kappa)
    m = [1] + [0] * K
    for n in range(1, K + 1):
        # coefficient of z^n in sum_s kappa_s z^s M^s, using m_0..m_{n-1} only
        total = 0
        power = [1] + [0] * K  # M^0
        for s in range(1, n + 1):
            power = [sum(power[i] * m[j - i] for i in range(j + 1)) for j in range(K + 1)]
            total = total + kappa[s - 1] * power[n - s]
        m[n] = total
    return m[1:]


def free_cumulants_from_moments(m):
    r"""Free cumulants :math:`\kappa_1..\kappa_K` from moments :math:`m_1..m_K`.

    Inverse of :func:`moments_from_free_cumulants` (same relation, solved for
    :math:`\kappa_n`, whose coefficient is :math:`m_0^n = 1`).

    References
    ----------
    .. [1] A. Nica, R. Speicher, "Lectures on the Combinatorics of Free Probability", London Math.
       Soc. Lecture Note Series 335, Cambridge University Press (2006),
       doi:10.1017/CBO9780511735127. The moment–free-cumulant relation (see
       moments_from_free_cumulants).
    .. [2] R. Speicher, "Multiplicative functions on the lattice of non-crossing partitions and free
       convolution", Math. Ann. 298, 611–628 (1994). The moment–cumulant formula over non-crossing
       partitions.
    """
    m = list(m)
    kappa = []
    for n in range(1, len(m) + 1):
        trial = moments_from_free_cumulants(kappa + [0])
        kappa.append(m[n - 1] - trial[n - 1])
    return kappa


def density_from_stieltjes(G):
    r""":math:`\rho = -\operatorname{Im} G / \pi`, clipped at zero against rounding.

    References
    ----------
    .. [1] J. A. Mingo, R. Speicher, "Free Probability and Random Matrices", Fields Institute
       Monographs 35, Springer, New York (2017), doi:10.1007/978-1-4939-6942-5. The Stieltjes
       inversion formula.
    """
    return np.maximum(-np.asarray(G).imag / np.pi, 0.0)
