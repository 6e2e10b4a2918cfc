"""Test-side quadrature, independent of ``SpectralLaw.integrate`` (shared by the analytic
test modules; the tests directory is on ``sys.path`` under pytest's default import mode)."""
import numpy as np


def integrate_density(law, f=np.ones_like, tol=1e-12):
    r"""Test-side quadrature of :math:`\int f \rho` over ``law.support()``, independent of
    ``SpectralLaw.integrate``: on each interval :math:`x = a + (b-a)\sin^2(\theta/2)`
    (square-root and inverse-square-root edges become smooth; no cancellation next to the
    edge), composite 32-point Gauss–Legendre in :math:`\theta` with 8, 16, ... 4096 panels,
    stopping when two levels agree to ``tol`` (asserted: the error is measured, not assumed)."""
    t, w = np.polynomial.legendre.leggauss(32)
    total = 0.0
    for a, b in law.support():
        prev = None
        for panels in 2 ** np.arange(3, 13):
            edges = np.linspace(0, np.pi, panels + 1)
            h = edges[1] - edges[0]
            th = ((edges[:-1, None] + edges[1:, None]) / 2 + h / 2 * t).ravel()
            x = a + (b - a) * np.sin(th / 2) ** 2
            wt = np.tile(w * h / 2, panels) * (b - a) / 2 * np.sin(th)
            val = float(np.sum(wt * law.density(x) * f(x)))
            if prev is not None and abs(val - prev) <= tol * (1 + abs(val)):
                break
            prev = val
        else:
            raise AssertionError(f"test quadrature did not converge on [{a}, {b}]")
        total += val
    return total
