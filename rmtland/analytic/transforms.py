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
"""
import numpy as np

__all__ = ["poly_roots", "herglotz_root", "moments_from_free_cumulants",
           "free_cumulants_from_moments", "density_from_stieltjes", "im_antiderivative"]


def _cbrt(w):
    """Principal complex cube root, exact for real negative input (-1 -> 1/2 + i sqrt(3)/2)."""
    return np.where(w == 0, 0, np.exp(np.log(np.where(w == 0, 1, w)) / 3))


def poly_roots(coeffs, polish=2):
    r"""All roots of many polynomials at once.

    Parameters
    ----------
    coeffs : array_like, shape ``(d + 1, ...)``
        Coefficients, highest degree first; the trailing axes broadcast, so one call solves
        a polynomial per grid point.  The leading coefficient must not vanish.
    polish : int
        Number of Newton steps on the original polynomial (default 2).

    Returns
    -------
    roots : ndarray, complex, shape ``(d, ...)``

    Notes
    -----
    Degrees 1–3 use closed forms (the cubic by Cardano's formula with the cancellation-free
    choice of the square root), higher degrees the eigenvalues of the companion matrix;
    every root is then polished by ``polish`` Newton steps on the original polynomial.
    """
    c = np.asarray(coeffs, dtype=complex)
    d = c.shape[0] - 1
    shape = np.broadcast_shapes(*[ci.shape for ci in c])
    c = np.broadcast_to(c, (d + 1,) + shape)
    a = c[1:] / c[0]
    if d == 1:
        roots = -a[:1]
    elif d == 2:
        b, q = a
        s = np.sqrt(b * b - 4 * q)
        s = np.where((np.conj(b) * s).real >= 0, s, -s)
        r1 = -(b + s) / 2
        r2 = np.where(r1 == 0, 0, q / np.where(r1 == 0, 1, r1))
        roots = np.stack([r1, r2])
    elif d == 3:
        b, cc, dd = a
        p = cc - b * b / 3
        q = 2 * b ** 3 / 27 - b * cc / 3 + dd
        disc = np.sqrt(q * q / 4 + p ** 3 / 27)
        w = -q / 2 + np.where((np.conj(q) * disc).real <= 0, disc, -disc)  # |w| maximal
        u = _cbrt(w)
        v = np.where(u == 0, 0, -p / (3 * np.where(u == 0, 1, u)))
        omega = np.exp(2j * np.pi / 3)
        roots = np.stack([u + v, u * omega + v * omega.conjugate(),
                          u * omega.conjugate() + v * omega]) - b / 3
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
        The root with the most negative imaginary part.

    Notes
    -----
    For :math:`\operatorname{Im} z > 0` the Herglotz condition :math:`\operatorname{Im} G < 0`
    selects exactly one root when, as for free sums of the laws in this package, exactly one
    root lies in the lower half-plane at large :math:`|z|`: roots cannot cross the real axis
    while :math:`z` stays in the open upper half-plane (a real root gives a real
    :math:`z = K(G)`).  On the real axis the physical root is the lower member of the complex
    pair inside the support; outside it all roots are real and the caller must choose
    (see :mod:`rmtland.analytic.hessian`).
    """
    idx = np.argmin(roots.imag, axis=0)
    return np.take_along_axis(roots, idx[None], axis=0)[0]


def moments_from_free_cumulants(kappa):
    r"""Moments :math:`m_1..m_K` from free cumulants :math:`\kappa_1..\kappa_K`.

    Notes
    -----
    Moment series :math:`M(z) = 1 + \sum_n m_n z^n` satisfies
    :math:`M(z) = 1 + \sum_s \kappa_s z^s M(z)^s` (Nica & Speicher, *Lectures on the
    Combinatorics of Free Probability*, 2006, Prop. 11.4/Lect. 16), solved order by order.
    Works with floats, ``fractions.Fraction`` or sympy expressions.
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
    """
    m = list(m)
    kappa = []
    for n in range(1, len(m) + 1):
        trial = moments_from_free_cumulants(kappa + [0])
        kappa.append(m[n - 1] - trial[n - 1])
    return kappa


def density_from_stieltjes(G):
    r""":math:`\rho = -\operatorname{Im} G / \pi`, clipped at zero against rounding."""
    return np.maximum(-np.asarray(G).imag / np.pi, 0.0)


def _arg_lower(w):
    """arg w in [-pi, 0] for w in the closed lower half-plane (real negative -> -pi)."""
    return np.arctan2(np.where(w.imag >= 0, -0.0, w.imag), w.real)


def _arg_upper(w):
    """arg w in [0, pi] for w in the closed upper half-plane (real negative -> +pi)."""
    return np.arctan2(np.where(w.imag <= 0, 0.0, w.imag), w.real)


def im_antiderivative(x, G, phi, eps):
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
    ``G`` is the physical :math:`G(x + i0)`; :math:`\varepsilon G^2` is formed as
    :math:`(2\varepsilon\,\mathrm{Re}\,G)\,\mathrm{Im}\,G` so that it cannot overflow.
    """
    return (x * G.imag + _arg_upper(1 - phi * G) / phi - (2 * eps * G.real) * G.imag
            - _arg_lower(G))
