r"""Test-side references for the Pennington–Bahri law, independent of ``rmtland.analytic``.

* :func:`mpmath_cases`: the 36 :math:`(\varphi, \varepsilon)` cases of
  ``tests/data/pb_reference.json`` (index, support edges, moments, density samples), computed by
  ``theory/check_hessian_mpmath.py`` at 30 digits (25 significant digits kept).
* :func:`index_cubic`: the index :math:`\alpha(\varepsilon, \varphi) = \int_{-\infty}^0 \rho`
  at any :math:`(\varphi, \varepsilon > 0)`, from the cubic of DESIGN.md written out here
  (:math:`2\varepsilon\varphi G^3 - (2\varepsilon + x\varphi) G^2 + (x + \varphi - 1) G - 1 = 0`,
  solved by ``numpy.roots``; inside the support the density is :math:`|\mathrm{Im}\,G|/\pi` of
  the complex pair), the left edge from the quartic :math:`g^2(1-\varphi g)^2 K'(g) = 0` and
  scipy's ``quad`` after :math:`x = L + s^2` (which makes the square-root edge smooth).  It is
  checked against the mpmath cases in ``tests/test_compare_hessian.py`` (agreement ~1e-13).

Closed forms (PB17 = Pennington & Bahri, ICML 2017), typed here from the paper:
:func:`eps_c_closed` (Eq. (16), evaluated with mpmath at 30 digits: the float form loses up to
4 digits to cancellation near :math:`\varphi = 1`) and :func:`alpha0_closed` (Eq. (17)).
"""
import json
import math
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data" / "pb_reference.json"


def mpmath_cases():
    """The mpmath cases as dicts of floats: phi, eps, label, index, support, density_samples."""
    raw = json.loads(DATA.read_text())["cases"]
    return [{"phi": float(c["phi"]), "eps": float(c["eps"]), "label": c["eps_label"],
             "index": float(c["index"]),
             "support": [[float(a), float(b)] for a, b in c["support"]],
             "density_samples": [[float(x), float(r)] for x, r in c["density_samples"]]}
            for c in raw]


def mpmath_index(phi, eps):
    """The mpmath index at exactly this (phi, eps) (float equality), or None."""
    for c in mpmath_cases():
        if c["phi"] == float(phi) and c["eps"] == float(eps):
            return c["index"]
    return None


def eps_c_closed(phi):
    r"""PB17 Eq. (16): :math:`\varepsilon_c = (1 - 20\varphi - 8\varphi^2 + (1+8\varphi)^{3/2})/16`
    for :math:`0 < \varphi < 1` (0 for :math:`\varphi \ge 1`), at 30 digits."""
    import mpmath as mp
    if phi >= 1:
        return 0.0
    with mp.workdps(30):
        f = mp.mpf(phi)
        return float((1 - 20 * f - 8 * f ** 2 + (1 + 8 * f) ** mp.mpf(1.5)) / 16)


def alpha0_closed(phi):
    r"""PB17 Eq. (17): :math:`\alpha_0 = 2(3-t)/(3\pi\sqrt t\,(1+t))`,
    :math:`t = \sqrt{1+8\varphi}`."""
    t = math.sqrt(1 + 8 * phi)
    return 2 * (3 - t) / (3 * math.pi * math.sqrt(t) * (1 + t))


def mp_support(phi):
    r"""Marchenko–Pastur support :math:`[(1-\sqrt\varphi)^2, (1+\sqrt\varphi)^2]`."""
    return [(1 - math.sqrt(phi)) ** 2, (1 + math.sqrt(phi)) ** 2]


def _density_cubic(x, phi, eps):
    r = np.roots([2 * eps * phi, -(2 * eps + x * phi), x + phi - 1, -1.0])
    return float(np.max(np.abs(r.imag))) / math.pi


def left_edge(phi, eps):
    r"""Left support edge :math:`L = K(g_*)`, :math:`K(g) = 1/(1-\varphi g) + 2\varepsilon g + 1/g`,
    :math:`g_* < 0` the negative real root of
    :math:`g^2(1-\varphi g)^2 K'(g)
    = \varphi g^2 + 2\varepsilon g^2 (1-\varphi g)^2 - (1-\varphi g)^2`."""
    P = np.polynomial.Polynomial
    one = P([1.0, -phi])                      # 1 - phi g
    g2 = P([0.0, 0.0, 1.0])
    quartic = phi * g2 + 2 * eps * g2 * one ** 2 - one ** 2
    roots = quartic.roots()
    neg = [r.real for r in roots if abs(r.imag) <= 1e-12 * abs(r) and r.real < 0]
    assert len(neg) == 1, roots               # exactly one critical point of K on g < 0
    g = neg[0]
    return 1 / (1 - phi * g) + 2 * eps * g + 1 / g


def index_cubic(phi, eps):
    r"""Index :math:`\int_{L}^{0}\rho`, :math:`\varepsilon > 0` (module docstring); 0 when
    :math:`L \ge 0`.  Returns ``(value, quad_error_estimate)``."""
    from scipy.integrate import quad
    assert eps > 0
    L = left_edge(phi, eps)
    if L >= 0:
        return 0.0, 0.0
    val, err = quad(lambda s: 2 * s * _density_cubic(L + s * s, phi, eps), 0.0, math.sqrt(-L),
                    limit=200, epsabs=1e-14, epsrel=1e-13)
    return val, err
