r"""Spiked random matrices with a planted number of outliers (xp-generic, explicit rng): the
synthetic cases with a known answer on which outlier rules are validated
(:func:`rmtland.compare.trained.outlier_rule_recovery`).  The thresholds and outlier locations
are in :mod:`rmtland.analytic.spiked`.

References
----------
F. Benaych-Georges, R. R. Nadakuditi, "The eigenvalues and eigenvectors of finite, low rank
perturbations of large random matrices", Adv. Math. 227(1), 494–521 (2011), arXiv:0910.2120
(additive spikes in Haar-random directions).
J. Baik, J. W. Silverstein, "Eigenvalues of large sample covariance matrices of spiked
population models", J. Multivariate Anal. 97(6), 1382–1408 (2006),
doi:10.1016/j.jmva.2005.08.003 (covariance spikes).
F. Mezzadri, "How to generate random matrices from the classical compact groups", Notices Amer.
Math. Soc. 54(5), 592–604 (2007), arXiv:math-ph/0609050 (QR with the sign fix: Haar frames).
"""
import math

import numpy as np

from .. import _seeds, _validate
from .._backend import array_namespace, get_xp
from .._validate import InputError

__all__ = ["haar_frame", "add_spikes", "sample_spiked_wishart"]


def haar_frame(n, r, *, rng=None, device="cpu"):
    r"""``n × r`` matrix with orthonormal columns, Haar-distributed on the Stiefel manifold:
    the Q factor of an ``n × r`` standard normal matrix with the signs of :math:`R_{jj}` made
    positive (Mezzadri 2007, Sec. 5)."""
    n = _validate.integer("n", n, 1)
    r = _validate.integer("r", r, 0)
    if r > n:
        raise InputError(f"r must be in 0..n = {n}, got {r}")
    xp = get_xp(device)
    z = _seeds.generator(rng, xp).standard_normal((n, r), dtype=np.float64)
    q, rr = xp.linalg.qr(z)
    d = xp.sign(xp.diagonal(rr))
    return q * xp.where(d == 0, 1.0, d)


def add_spikes(M, thetas, *, rng=None):
    r""":math:`M + \sum_i \theta_i u_i u_i^\top` with Haar-random orthonormal :math:`u_i`
    (:func:`haar_frame`; free from any fixed :math:`M` as :math:`n\to\infty`,
    Benaych-Georges & Nadakuditi 2011).  Returns ``(matrix, U)``, ``U`` the ``n × r`` frame."""
    xp = array_namespace(M)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise InputError(f"M must be a square matrix, got shape {tuple(M.shape)}")
    th = _validate.finite_array("thetas", np.asarray(thetas, dtype=float)).ravel()
    U = haar_frame(M.shape[0], th.size, rng=rng, device="gpu" if xp is not np else "cpu")
    return M + (U * xp.asarray(th)) @ U.T, U


def sample_spiked_wishart(n, m, ells=(), *, df=None, rng=None, device="cpu"):
    r"""Spiked sample covariance :math:`W = \Sigma^{1/2} X X^\top \Sigma^{1/2} / m`.

    ``X`` is ``n × m`` with i.i.d. unit-variance entries: standard normal, or with ``df``
    Student-t scaled to unit variance, :math:`t_\nu\sqrt{(\nu-2)/\nu}` (``df`` > 2; heavy
    tails: :math:`\mathbb{E}x^4 = \infty` for :math:`\nu \le 4`), drawn as
    :math:`Z/\sqrt{2\Gamma(\nu/2)/\nu}`.  :math:`\Sigma = I` except the population eigenvalues
    ``ells`` on the first coordinates (the spike directions :math:`u_i = e_i`).
    :math:`\varphi = n/m`; :math:`\varphi > 1` is rank-deficient (an atom
    :math:`1 - 1/\varphi` at 0).  Returns ``(W, U)`` with ``U`` the ``n × r`` spike frame.
    """
    n = _validate.integer("n", n, 1)
    m = _validate.integer("m", m, 1)
    ells = _validate.finite_array("ells", np.asarray(ells, dtype=float)).ravel()
    if ells.size > n or (ells.size and ells.min() <= 0):
        raise InputError(f"ells must hold at most n = {n} positive population eigenvalues")
    if df is not None:
        df = _validate.positive("df", df)
        if df <= 2:
            raise InputError(f"df must be > 2 (finite variance), got {df!r}")
    xp = get_xp(device)
    gen = _seeds.generator(rng, xp)
    X = gen.standard_normal((n, m), dtype=np.float64)
    if df is not None:
        X /= xp.sqrt(2.0 * gen.standard_gamma(df / 2, size=(n, m)) / df)
        X *= math.sqrt((df - 2) / df)
    if ells.size:
        X[:ells.size] *= xp.asarray(np.sqrt(ells))[:, None]
    W = X @ X.T
    W = (W + W.T) * (0.5 / m)
    U = xp.eye(n, ells.size)
    return W, U
