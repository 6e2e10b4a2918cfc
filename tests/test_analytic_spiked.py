"""Spike thresholds, locations and strengths (rmtland.analytic.spiked) against closed forms.

Provenance.  Benaych-Georges & Nadakuditi (Adv. Math. 227, 2011, Theorem 2.1): an additive
spike theta above the threshold puts an outlier at rho with G(rho) = 1/theta, i.e.
rho = G^{-1}(1/theta) = R(1/theta) + theta (G^{-1}(g) = R(g) + 1/g, DESIGN.md).  With the
R-transforms of DESIGN.md:

* semicircle of variance s2: R(g) = s2 g, so rho = theta + s2/theta, threshold sqrt(s2);
* Marchenko-Pastur(phi): R(g) = 1/(1 - phi g), so rho = theta + theta/(theta - phi);
* Pennington-Bahri(phi, eps): R(g) = 1/(1 - phi g) + 2 eps g, so
  rho = theta + theta/(theta - phi) + 2 eps/theta;
* s X: G_{sX}(z) = G_X(z/s)/s, so rho_{sX}(theta) = s rho_X(theta/s).

Covariance spikes on MP (Baik & Silverstein 2006): ell (1 + phi/(ell - 1)), threshold
1 + sqrt(phi), edge (1 + sqrt(phi))^2 at the threshold.  The functions under test find the
roots numerically (brentq on G), so the closed forms are independent checks.
"""
import math

import numpy as np
import pytest

from rmtland._validate import InputError
from rmtland.analytic.hessian import PenningtonBahri
from rmtland.analytic.laws import MarchenkoPastur, Semicircle
from rmtland.analytic import spiked
from rmtland.compare.fit import ScaledLaw


@pytest.mark.parametrize("var", [0.25, 1.0, 3.0])
@pytest.mark.parametrize("ratio", [1.05, 1.5, 4.0])
def test_semicircle_location_and_strength(var, ratio):
    theta = ratio * math.sqrt(var)
    law = Semicircle(var)
    assert spiked.additive_threshold(law) == pytest.approx(math.sqrt(var), rel=1e-7)
    rho = spiked.additive_location(law, theta)
    assert rho == pytest.approx(theta + var / theta, rel=1e-11)
    assert spiked.additive_strength(law, theta + var / theta) == pytest.approx(theta, rel=1e-11)


@pytest.mark.parametrize("phi", [0.1, 0.5, 2.0])
def test_marchenko_pastur_location(phi):
    law = MarchenkoPastur(phi)
    tc = math.sqrt(phi) * (1 + math.sqrt(phi))
    assert spiked.additive_threshold(law) == pytest.approx(tc, rel=1e-7)
    for theta in (1.2 * tc, 3 * tc):
        rho = theta + theta / (theta - phi)
        assert spiked.additive_location(law, theta) == pytest.approx(rho, rel=1e-11)
        assert spiked.additive_strength(law, rho) == pytest.approx(theta, rel=1e-11)


@pytest.mark.parametrize("phi,eps", [(0.5, 0.1), (0.25, 0.01), (2.0, 0.3)])
def test_pennington_bahri_location(phi, eps):
    law = PenningtonBahri(phi, eps)
    tc = spiked.additive_threshold(law)
    # at the threshold the location is the right edge: rho(theta_c) = b
    b = law.support()[-1][1]
    assert tc + tc / (tc - phi) + 2 * eps / tc == pytest.approx(b, rel=1e-6)
    for theta in (1.1 * tc, 2 * tc, 5 * tc):
        rho = theta + theta / (theta - phi) + 2 * eps / theta
        assert spiked.additive_location(law, theta) == pytest.approx(rho, rel=1e-10)
        assert spiked.additive_strength(law, rho) == pytest.approx(theta, rel=1e-10)


@pytest.mark.parametrize("s", [0.01, 0.7, 30.0])
def test_scaled_laws(s):
    phi, eps = 0.5, 0.1
    law = ScaledLaw(PenningtonBahri(phi, eps), s)
    t = 2.0                    # in units of s: above PB(0.5, 0.1)'s threshold 1.25
    rho = s * (t + t / (t - phi) + 2 * eps / t)
    assert spiked.additive_location(law, s * t) == pytest.approx(rho, rel=1e-10)
    assert spiked.additive_strength(law, rho) == pytest.approx(s * t, rel=1e-10)
    assert spiked.additive_threshold(law) == pytest.approx(
        s * spiked.additive_threshold(PenningtonBahri(phi, eps)), rel=1e-7)
    # s * semicircle(1) is semicircle(s^2): theta + s^2/theta
    sc = ScaledLaw(Semicircle(1.0), s)
    assert spiked.additive_location(sc, 2 * s) == pytest.approx(2 * s + s * s / (2 * s),
                                                                rel=1e-11)


@pytest.mark.parametrize("phi", [0.1, 0.5, 1.0, 3.0])
def test_covariance_location_and_strength(phi):
    tc = 1 + math.sqrt(phi)
    assert spiked.covariance_threshold(phi) == pytest.approx(tc)
    for ell in (1.01 * tc, 2 * tc, 10.0 * tc):
        x = ell * (1 + phi / (ell - 1))
        assert spiked.covariance_location(ell, phi) == pytest.approx(x, rel=1e-14)
        assert spiked.covariance_strength(x, phi) == pytest.approx(ell, rel=1e-10)
    # at the threshold the outlier meets the edge (1 + sqrt(phi))^2
    assert tc * (1 + phi / (tc - 1)) == pytest.approx((1 + math.sqrt(phi)) ** 2)


def test_strength_refuses_points_inside_the_bulk():
    with pytest.raises(InputError, match="x must lie right"):
        spiked.additive_strength(Semicircle(1.0), 1.5)
    with pytest.raises(InputError, match="x must lie right"):
        spiked.covariance_strength(2.0, 0.5)
    with pytest.raises(InputError, match="x must be a finite"):
        spiked.additive_strength(Semicircle(1.0), np.nan)
