"""Calibration checks of reported standard errors and p-values (shared by the test files).

A reported standard error ``se`` of an estimate ``x`` is *calibrated* when, over ``R``
independent repetitions (seeds), the spread of the estimates matches the average reported
variance.  With normal estimates of common variance sigma^2:

* around the exact value ``c``: ``sum (x_r - c)^2 / sigma^2 ~ chi2_R``;
* around their mean: ``(R - 1) s^2 / sigma^2 ~ chi2_{R-1}``.

sigma^2 is replaced by the mean of the reported ``se_r^2`` (its relative noise, about
``sqrt(2 / (dof_se R))``, is small against the chi-square interval for the R used here).  The
ratio must lie inside the 0.1 % / 99.9 % quantiles of ``chi2_dof / dof``: both a too-small and
a too-large standard error fail.  For R = 100 the interval is [0.62, 1.50], so a standard
error off by sqrt(2) either way (variance ratio 2 or 1/2) fails; for R = 200, [0.71, 1.33].

p-values: uniform on U(0, 1) under the null, checked by a one-sample Kolmogorov-Smirnov test
at level 0.001.
"""
import numpy as np
from scipy.stats import chi2, kstest

#: two-sided level of every calibration check
LEVEL = 0.001


def chi2_interval(dof, level=LEVEL):
    """The (level, 1 - level) quantiles of chi2_dof / dof."""
    return chi2.ppf(level, dof) / dof, chi2.ppf(1 - level, dof) / dof


def variance_ratio(estimates, stderrs, center=None):
    """Empirical variance of the estimates (around ``center``, else their mean) over the mean
    reported variance, per column; and the degrees of freedom."""
    x = np.asarray(estimates, dtype=float)
    se = np.asarray(stderrs, dtype=float)
    assert x.shape == se.shape and x.shape[0] >= 20, (x.shape, se.shape)
    # a zero s.e. (all samples of one repetition equal) is an unbiased variance estimate too
    assert np.all(np.isfinite(se)) and np.all(se >= 0) and np.all(np.mean(se ** 2, axis=0) > 0)
    if center is None:
        dev, dof = x - x.mean(axis=0), x.shape[0] - 1
    else:
        dev, dof = x - np.asarray(center, dtype=float), x.shape[0]
    return np.sum(dev ** 2, axis=0) / dof / np.mean(se ** 2, axis=0), dof


def assert_calibrated(estimates, stderrs, center=None, what=""):
    """Fail unless the variance ratio lies inside the chi-square interval (module notes)."""
    ratio, dof = variance_ratio(estimates, stderrs, center)
    lo, hi = chi2_interval(dof)
    ratio = np.atleast_1d(ratio)
    assert np.all((lo <= ratio) & (ratio <= hi)), (
        f"{what}: empirical / reported variance {ratio} outside [{lo:.3f}, {hi:.3f}] "
        f"({dof} degrees of freedom)")


def assert_uniform(pvalues, what=""):
    """Fail when the p-values are not uniform on (0, 1) (KS test at level LEVEL)."""
    p = np.asarray(pvalues, dtype=float)
    assert p.size >= 20 and np.all((p >= 0) & (p <= 1))
    res = kstest(p, "uniform")
    assert res.pvalue > LEVEL, f"{what}: p-values not uniform (KS p = {res.pvalue:.2g})"
