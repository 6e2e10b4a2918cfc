r"""Independent high-precision reference values for the Pennington–Bahri Hessian law.

What it computes (mpmath, ``mp.dps = 30``; no call into rmtland's numerics), for a grid of
:math:`(\varphi, \varepsilon)`:

* the law: :math:`H = H_0 + H_1`, :math:`H_0` Marchenko–Pastur of ratio :math:`\varphi`
  (:math:`R(g) = 1/(1-\varphi g)`), :math:`H_1` a semicircle of variance :math:`2\varepsilon`
  (:math:`R(g) = 2\varepsilon g`), free (Pennington & Bahri, ICML 2017, "PB17", Sec. 3;
  DESIGN.md).  :math:`G` is the inverse of :math:`K(g) = 1/(1-\varphi g) + 2\varepsilon g + 1/g`,
  i.e. a root of the cubic (PB17 Eq. (12), convention :math:`G \sim 1/z`,
  :math:`\operatorname{Im} G < 0` above the axis)

  .. math:: 2\varepsilon\varphi G^3 - (2\varepsilon + z\varphi) G^2 + (z + \varphi - 1) G - 1 = 0 ;

* (a) the support edges.  Candidates are the critical values :math:`K(g^*)`,
  :math:`K'(g^*) = 0`, i.e. the real roots of the quartic
  :math:`2\varepsilon\varphi^2 g^4 - 4\varepsilon\varphi g^3
  + (\varphi + 2\varepsilon - \varphi^2) g^2 + 2\varphi g - 1 = 0`
  (:math:`g^2 (1-\varphi g)^2 K'(g)`), found by ``mpmath.polyroots``.
  The intervals between consecutive candidates are classified by whether the cubic has a
  complex pair at their midpoint (real coefficients: a complex pair exists exactly between
  the simple zeros of the discriminant where the count of real roots changes).  Independently
  the physical branch is read off the real graph of :math:`K`: on :math:`(-\infty, 0)` it has
  one maximum (left edge, :math:`G(x) \approx 1/x` as :math:`x \to -\infty` lives on that
  branch), on :math:`(0, 1/\varphi)` one minimum (right edge), and on :math:`(1/\varphi,\infty)`
  either no critical point (no gap) or, for :math:`\varphi > 1`, a local maximum and a local
  minimum whose values bound a gap.  The script asserts that both constructions agree and
  that :math:`-\operatorname{Im} G/\pi > 0` just inside each edge and that no complex root
  exists just outside;
* (b) the index :math:`\alpha = \int_{-\infty}^0 \rho` (PB17 Eq. (13)) by ``mpmath.quad``
  (tanh–sinh) of :math:`\rho(x) = -\operatorname{Im} G(x + i0)/\pi`, with :math:`G` the root of
  the cubic of most negative imaginary part (``mpmath.polyroots``) at each node, split at the
  support edges;
* (c) the mass of each support interval, the first four moments :math:`\int x^k \rho`
  (no atoms for :math:`\varepsilon > 0`), and :math:`\rho` at a few interior points; the
  quadrature moments are asserted equal to the free-cumulant moments
  (:math:`\kappa_1 = 1`, :math:`\kappa_2 = \varphi + 2\varepsilon`,
  :math:`\kappa_j = \varphi^{j-1}`;
  moment–cumulant formula over non-crossing partitions, Nica & Speicher 2006, Lect. 11)
  to :math:`10^{-20}`, which validates the quadrature;
* (d) for :math:`\varphi < 1`: :math:`\varepsilon_c` as the root in :math:`\varepsilon` of
  "left edge = 0" (``mpmath.findroot`` on the edge of (a), bracketed in
  :math:`[10^{-6}, 1]`, so PB17 Eq. (16) is not used), compared with the closed form
  :math:`\varepsilon_c = (1 - 20\varphi - 8\varphi^2 + (1+8\varphi)^{3/2})/16`; the double root
  :math:`g_c = G(0)` at :math:`\varepsilon_c`; and the 3/2-law coefficient (PB17 Eq. (17))
  :math:`\alpha_0 = \lim_{\delta\to 0} \alpha(\varepsilon_c(1+\delta))/\delta^{3/2}` by
  Richardson extrapolation of :math:`f(\delta) = \alpha/\delta^{3/2}` at
  :math:`\delta = 10^{-3}, 5\cdot10^{-4}, 2.5\cdot10^{-4}` (``alpha0_3_levels``; the
  square-root edge makes :math:`f` analytic in :math:`\delta`, so the error terms are integer
  powers of :math:`\delta`), and with two more levels :math:`1.25\cdot10^{-4}`,
  :math:`6.25\cdot10^{-5}` (``alpha0``; the error estimate is its change from four levels).
  The same fit gives the coefficients :math:`s, s_2` in
  :math:`\alpha/(\alpha_0\delta^{3/2}) = 1 + s\delta + s_2\delta^2 + O(\delta^3)`.

Parameters ``phi``/``eps`` are stored as the decimal strings of the float64 values used
(computations use those exact binary values); every computed value is a string with 25
significant digits.  Consumed by ``tests/test_analytic_hessian.py``.

Usage: ``python theory/check_hessian_mpmath.py [--out tests/data/pb_reference.json]``.
"""
import argparse
import json
import os
import sys
import tempfile
import time

import mpmath as mp

DPS = 30
DIGITS = 25
PHIS = [0.1, 0.5, 0.9, 1.0, 2.0, 5.0]
QUAD_TOL = mp.mpf(10) ** -27     # relative error estimate accepted per piece
DELTAS = ["1e-3", "5e-4", "2.5e-4", "1.25e-4", "6.25e-5"]


def s(x):
    """A value as a string of DIGITS significant digits."""
    return mp.nstr(mp.mpf(x), DIGITS, strip_zeros=False, min_fixed=-mp.inf, max_fixed=mp.inf) \
        if x != 0 else "0.0"


def eps_c_closed(phi):
    """PB17 Eq. (16), only for comparison (not used to compute anything)."""
    return (1 - 20 * phi - 8 * phi ** 2 + (1 + 8 * phi) ** mp.mpf(1.5)) / 16


def alpha0_closed(phi):
    r"""Closed form :math:`2(3-t)/(3\pi\sqrt t (1+t))`, :math:`t=\sqrt{1+8\varphi}`, only for
    comparison (the library's formula, not used to compute anything)."""
    t = mp.sqrt(1 + 8 * phi)
    return 2 * (3 - t) / (3 * mp.pi * mp.sqrt(t) * (1 + t))


class PB:
    """Pennington–Bahri law at one (phi, eps), mpmath only."""

    def __init__(self, phi, eps):
        self.phi, self.eps = mp.mpf(phi), mp.mpf(eps)
        self._cache = {}
        self._parts = {}
        self.crit, self.intervals = self._support()

    def K(self, g):
        return 1 / (1 - self.phi * g) + 2 * self.eps * g + 1 / g

    def roots(self, x):
        phi, eps = self.phi, self.eps
        return mp.polyroots([2 * eps * phi, -(2 * eps + x * phi), x + phi - 1, -1],
                            maxsteps=400, extraprec=60)

    def has_pair(self, x):
        r = self.roots(x)
        big = 1 + max(abs(g) for g in r)
        return max(abs(mp.im(g)) for g in r) > mp.mpf(10) ** (-DPS // 2) * big

    def rho(self, x):
        """-Im G(x + i0)/pi, G the root of most negative imaginary part (memoised per node)."""
        key = mp.nstr(x, 60)
        if key not in self._cache:
            g = min(self.roots(x), key=lambda r: mp.im(r))
            self._cache[key] = max(-mp.im(g) / mp.pi, mp.mpf(0))
        return self._cache[key]

    def _support(self):
        phi, eps = self.phi, self.eps
        quartic = [2 * eps * phi ** 2, -4 * eps * phi, phi + 2 * eps - phi ** 2, 2 * phi, -1]
        gs = sorted(mp.re(g) for g in mp.polyroots(quartic, maxsteps=400, extraprec=60)
                    if abs(mp.im(g)) <= mp.mpf(10) ** (-20) * (1 + abs(g)))
        # route 1: discriminant zeros (critical values) classified by midpoints
        cand = sorted(set(self.K(g) for g in gs))
        inside = [self.has_pair((a + b) / 2) for a, b in zip(cand[:-1], cand[1:])]
        assert not self.has_pair(cand[0] - 1) and not self.has_pair(cand[-1] + 1)
        route1, start = [], None
        for i, ins in enumerate(inside):
            if ins and start is None:
                start = cand[i]
            if not ins and start is not None:
                route1.append([start, cand[i]])
                start = None
        if start is not None:
            route1.append([start, cand[-1]])
        # route 2: physical branch from the real graph of K
        neg = [g for g in gs if g < 0]
        mid = [g for g in gs if 0 < g < 1 / phi]
        far = [g for g in gs if g > 1 / phi]
        assert len(neg) == 1 and len(mid) == 1 and len(far) in (0, 2), (neg, mid, far)
        crit = [neg[0]]
        route2 = [[self.K(neg[0]), self.K(mid[0])]]
        if far:
            g_max, g_min = far          # K has its local max first, then its local min
            assert phi > 1 and self.K(g_max) > self.K(g_min)
            route2 = [[route2[0][0], self.K(g_min)], [self.K(g_max), route2[0][1]]]
            crit += [g_min, g_max]
        crit.append(mid[0])
        assert len(route1) == len(route2)
        for (a1, b1), (a2, b2) in zip(route1, route2):
            assert abs(a1 - a2) < mp.mpf(10) ** (-DPS + 3) * (1 + abs(a1))
            assert abs(b1 - b2) < mp.mpf(10) ** (-DPS + 3) * (1 + abs(b1))
        # cross-check: density > 0 just inside every edge, no complex root just outside
        for a, b in route2:
            h = (b - a) * mp.mpf(10) ** -6
            assert self.rho(a + h) > 0 and self.rho(b - h) > 0
            assert not self.has_pair(a - h) and not self.has_pair(b + h)
        return crit, route2

    def _pieces(self, a, b, depth=0):
        """Subintervals of [a, b] on which tanh-sinh integrates rho to QUAD_TOL (bisection
        where the error estimate is larger: a near-cusp where a gap has just closed)."""
        v, e = mp.quad(self.rho, [a, b], error=True)
        if e <= QUAD_TOL * (1 + abs(v)) or depth >= 30:
            return [(a, b)]
        m = (a + b) / 2
        return self._pieces(a, m, depth + 1) + self._pieces(m, b, depth + 1)

    def integrate(self, f, a, b):
        """int_a^b f(x) rho(x) dx by tanh-sinh on adaptive pieces; (value, error estimate)."""
        if b <= a:
            return mp.mpf(0), mp.mpf(0)
        key = (mp.nstr(a, 40), mp.nstr(b, 40))
        if key not in self._parts:
            split = [a, b]
            if self.phi > 1:   # inflection of K on (1/phi, inf): where a gap opens / closes
                xm = self.K(1 / (self.phi - self.phi ** (mp.mpf(2) / 3)))
                if a < xm < b:
                    split = [a, xm, b]
            self._parts[key] = [p for lo, hi in zip(split[:-1], split[1:])
                                for p in self._pieces(lo, hi)]
        total, err = mp.mpf(0), mp.mpf(0)
        for lo, hi in self._parts[key]:
            v, e = mp.quad(lambda x: f(x) * self.rho(x), [lo, hi], error=True)
            total += v
            err += e
        return total, err

    def cdf(self, x):
        """mu((-inf, x]) (eps > 0: no atoms)."""
        total, err = mp.mpf(0), mp.mpf(0)
        for a, b in self.intervals:
            v, e = self.integrate(lambda t: 1, a, min(b, x))
            total += v
            err += e
        return total, err


def free_moments(phi, eps):
    r"""Moments m1..m4 from the free cumulants (non-crossing partitions of 1..4)."""
    k1, k2, k3, k4 = 1, phi + 2 * eps, phi ** 2, phi ** 3
    return [k1, k2 + k1 ** 2, k3 + 3 * k1 * k2 + k1 ** 3,
            k4 + 4 * k1 * k3 + 2 * k2 ** 2 + 6 * k1 ** 2 * k2 + k1 ** 4]


def case(phi, eps, label):
    law = PB(phi, eps)
    masses, moments, errs = [], [mp.mpf(0)] * 4, []
    for a, b in law.intervals:
        v, e = law.integrate(lambda t: 1, a, b)
        masses.append(v)
        errs.append(e)
        for k in range(4):
            v, e = law.integrate(lambda t, k=k: t ** (k + 1), a, b)
            moments[k] += v
            errs.append(e)
    exact = free_moments(law.phi, law.eps)
    for k in range(4):
        assert abs(moments[k] - exact[k]) < mp.mpf(10) ** -20 * (1 + abs(exact[k])), \
            (phi, eps, k, moments[k], exact[k])
    assert abs(sum(masses) - 1) < mp.mpf(10) ** -20, (phi, eps, masses)
    if law.intervals[0][0] >= 0:
        alpha, alpha_err = mp.mpf(0), mp.mpf(0)    # support in [0, inf): exactly zero
    else:
        alpha, alpha_err = law.cdf(mp.mpf(0))
    samples = []
    for a, b in law.intervals:
        for t in ("0.05", "0.3", "0.5", "0.7", "0.95"):
            x = mp.mpf(float(a + (b - a) * mp.mpf(t)))      # a float64 node
            samples.append([s(x), s(law.rho(x))])
    out = {"phi": repr(float(phi)), "eps": repr(float(eps)), "eps_label": label,
           "support": [[s(a), s(b)] for a, b in law.intervals],
           "critical_points": [s(g) for g in law.crit],
           "interval_masses": [s(m) for m in masses],
           "index": s(alpha), "index_quad_error": mp.nstr(alpha_err, 3),
           "moments": [s(m) for m in moments],
           "moments_free_cumulants": [s(m) for m in exact],
           "max_quad_error": mp.nstr(max(errs), 3),
           "density_samples": samples}
    if len(law.intervals) == 2:   # phi > 1 with a gap: mass left of the gap
        out["gap_cdf"] = s(masses[0])
    return out


def left_edge(phi, eps):
    return PB(phi, eps).intervals[0][0]


def critical(phi):
    """eps_c, g_c, alpha0 (Richardson) for phi < 1 by the numeric route of (d)."""
    phi = mp.mpf(phi)
    ec = mp.findroot(lambda e: left_edge(phi, e), (mp.mpf("1e-6"), mp.mpf(1)),
                     solver="anderson", tol=mp.mpf(10) ** (-2 * DPS + 4))
    law_c = PB(phi, ec)
    g_c = law_c.crit[0]
    deltas = [mp.mpf(d) for d in DELTAS]
    f = []
    for d in deltas:
        law = PB(phi, ec * (1 + d))
        a, e = law.cdf(mp.mpf(0))
        f.append(a / d ** mp.mpf(1.5))

    def fit(n):
        """Coefficients a_0..a_{n-1} of the polynomial in delta through the first n points
        (Richardson extrapolation with integer powers of delta, written as a fit)."""
        V = mp.matrix([[d ** j for j in range(n)] for d in deltas[:n]])
        return mp.lu_solve(V, mp.matrix(f[:n]))

    a3, a4, a5 = fit(3), fit(4), fit(5)
    return {"phi": repr(float(phi)), "eps_c": s(ec), "eps_c_closed_form": s(eps_c_closed(phi)),
            "g_c": s(g_c),
            "alpha0_3_levels": s(a3[0]),            # delta = 1e-3, 5e-4, 2.5e-4
            "alpha0": s(a5[0]),                     # all five levels
            "alpha0_error_estimate": mp.nstr(abs(a5[0] - a4[0]), 3),
            "alpha0_closed_form": s(alpha0_closed(phi)),
            "slope": s(a5[1] / a5[0]),              # alpha/(alpha0 d^1.5) = 1 + slope d + ...
            "slope2": s(a5[2] / a5[0]),             # ... + slope2 d^2 + O(d^3)
            "deltas": DELTAS, "f_delta": [s(v) for v in f]}


def grid():
    """(phi, eps, label) cases: eps below, near and above eps_c for phi < 1; small (gap for
    phi > 1) and large eps for phi >= 1."""
    out = []
    for phi in PHIS:
        if phi < 1:
            ec = float(eps_c_closed(mp.mpf(phi)))   # only to place the grid points
            for fac in (0.5, 0.99, 1.01, 2.0):
                out.append((phi, float(ec * fac), f"{fac}*eps_c"))
            for e in (0.25, 1.0, 5.0):
                out.append((phi, e, "absolute"))
        else:
            for e in (1e-3, 0.01, 0.1, 1.0, 5.0):
                out.append((phi, e, "absolute"))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join("tests", "data", "pb_reference.json"))
    args = parser.parse_args(argv)
    mp.mp.dps = DPS
    t0 = time.time()
    cases = []
    for phi, eps, label in grid():
        t = time.time()
        cases.append(case(mp.mpf(phi), mp.mpf(eps), label))
        sup = [[float(mp.mpf(a)), float(mp.mpf(b))] for a, b in cases[-1]["support"]]
        print(f"phi={phi:<4} eps={eps:<12.6g} support={sup} "
              f"index={float(mp.mpf(cases[-1]['index'])):.6g}  ({time.time() - t:.1f}s)",
              flush=True)
    crit = []
    for phi in [p for p in PHIS if p < 1]:
        t = time.time()
        crit.append(critical(phi))
        c = crit[-1]
        print(f"phi={phi}: eps_c={c['eps_c']} (closed form {c['eps_c_closed_form']}), "
              f"alpha0={c['alpha0']} +- {c['alpha0_error_estimate']} "
              f"(closed form {c['alpha0_closed_form']}), slope={c['slope']} "
              f"({time.time() - t:.1f}s)", flush=True)
        assert abs(mp.mpf(c["eps_c"]) - mp.mpf(c["eps_c_closed_form"])) < mp.mpf(10) ** -DIGITS * 10
    data = {"generator": "theory/check_hessian_mpmath.py",
            "mp_dps": DPS, "significant_digits": DIGITS,
            "convention": "G(z) ~ 1/z, Im G < 0 above the axis; rho = -Im G(x+i0)/pi; "
                          "H = MP(phi) + semicircle(var 2 eps), PB17",
            "cases": cases, "critical": crit,
            "runtime_s": round(time.time() - t0, 1)}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(args.out)), suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1)
        fh.write("\n")
    os.replace(tmp, args.out)
    print(f"wrote {args.out} in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
