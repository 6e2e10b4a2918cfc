r"""Linear networks, exactly: every critical point of the two-layer linear network (Baldi &
Hornik 1989), the exact Hessian of deep linear networks, and Kawaguchi's saddle without
negative curvature (depth ≥ 3).

Conventions
-----------
Data: ``m`` samples as rows of ``X`` (m × d) and ``Y`` (m × k). The sample (uncentred)
second-moment matrices are :math:`\Sigma_{xx} = X^\top X/m` (d × d, must be positive
definite), :math:`\Sigma_{xy} = X^\top Y/m` (d × k), :math:`\Sigma_{yx} = \Sigma_{xy}^\top`,
:math:`\Sigma_{yy} = Y^\top Y/m` (k × k); :func:`covariances` computes them. (With centred
data they are the covariances.)

Network: :math:`f(x) = W_H \cdots W_2 W_1 x`, :math:`W_l` of shape
:math:`n_l \times n_{l-1}`, :math:`n_0 = d`, :math:`n_H = k`, no biases;
:math:`W = W_H \cdots W_1` (k × d). Loss, normalised as PB17 (DESIGN.md, "Networks"):

.. math::

    L = \frac{1}{2km}\sum_{i=1}^m \lVert W x_i - y_i\rVert^2
      = \frac{1}{2k}\,\mathrm{tr}\bigl(\Sigma_{yy} - 2 W\Sigma_{xy} + W\Sigma_{xx}W^\top\bigr).

Every function takes ``k=None``, the output count of the normalisation; None means
``Sxy.shape[1]`` (PB17's choice).

Parameters are flattened as :math:`\theta = (\mathrm{vec}\,W_1, \ldots, \mathrm{vec}\,W_H)`
with the column-stacking :math:`\mathrm{vec}` (``W.reshape(-1, order="F")``), for which
:math:`\mathrm{vec}(AXB) = (B^\top \otimes A)\,\mathrm{vec}\,X` (Magnus & Neudecker);
:func:`flatten` / :func:`unflatten` convert.

Gradient (:func:`deep_linear_gradient`): with :math:`A_l = W_H\cdots W_{l+1}` (k × n_l;
:math:`A_H = I_k`), :math:`B_l = W_{l-1}\cdots W_1` (n_{l-1} × d; :math:`B_1 = I_d`) and the
residual matrix :math:`E = W\Sigma_{xx} - \Sigma_{yx}`,
:math:`\partial L/\partial W_l = \frac1k A_l^\top E B_l^\top`.

References
----------
P. Baldi, K. Hornik, "Neural networks and principal component analysis: Learning from examples
without local minima", Neural Networks 2(1), 53–58 (1989), doi:10.1016/0893-6080(89)90014-2.
The critical points of the two-layer linear network and their losses; the only local minimum is
the global one (projection on the top p eigenvectors of Σ = Σ_yx Σ_xx⁻¹ Σ_xy).
K. Kawaguchi, "Deep Learning without Poor Local Minima", Advances in Neural Information Processing
Systems 29 (NeurIPS 2016), 586–594, arXiv:1605.07110. Deep linear networks: every local minimum is
global, every other critical point a saddle; for depth H ≥ 3 there are saddles whose Hessian has
no negative eigenvalue (Thm. 2.3 and Cor. 2.4).
H. Lu, K. Kawaguchi, "Depth Creates No Bad Local Minima", arXiv:1702.08580 (2017). Every local
minimum of a deep linear network is global, for any data (no rank or eigenvalue assumption).
J. R. Magnus, H. Neudecker, "Matrix Differential Calculus with Applications in Statistics and
Econometrics", 3rd ed., Wiley (2019), doi:10.1002/9781119541219. vec, Kronecker products, the
commutation matrix, and the Hessian from the second differential (Ch. 2, 3, 10).
"""
import itertools
import math
from collections import namedtuple

import numpy as np

from .._validate import InputError
from .. import _validate

__all__ = ["covariances", "flatten", "unflatten", "commutation_matrix", "deep_linear_loss",
           "deep_linear_gradient", "deep_linear_hessian", "relative_gradient_norm",
           "linear_network_loss", "linear_network_gradient", "linear_network_hessian",
           "baldi_hornik_sigma", "baldi_hornik_critical_points", "Inertia",
           "index_with_zero_modes", "deep_linear_degenerate_saddle"]

#: Σ's eigenvalues must be distinct and positive to this relative precision (BH89's assumption)
EIGEN_RTOL = 1e-8
#: most critical points :func:`baldi_hornik_critical_points` will enumerate
MAX_POINTS = 100_000

Inertia = namedtuple("Inertia", ["negative", "zero", "positive"])
Inertia.__doc__ = "Counts of negative, zero and positive eigenvalues of a symmetric matrix."


# --------------------------------------------------------------------------------- input
def cholesky_or_none(S):
    """Lower Cholesky factor of the symmetric matrix ``S``, or None when ``S`` is not
    (numerically) positive definite."""
    try:
        return np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        return None


def _matrix(name, A, shape=None):
    A = _validate.finite_array(name, A)
    if A.ndim != 2:
        raise InputError(f"{name} must be a 2-D array (matrix), got shape {A.shape}")
    if shape is not None:
        want = tuple(s if s is not None else A.shape[i] for i, s in enumerate(shape))
        if A.shape != want:
            raise InputError(f"{name} must have shape {want}, got {A.shape}")
    return A


def _symmetric(name, A):
    scale = max(np.max(np.abs(A)), np.finfo(float).tiny)
    if A.shape[0] != A.shape[1] or np.max(np.abs(A - A.T)) > 1e-10 * scale:
        raise InputError(f"{name} must be a symmetric square matrix (|A - A^T| <= 1e-10 max|A|)")
    return (A + A.T) / 2


def _data(Sxx, Sxy, Syy, k):
    """Validated (Sxx, Sxy, Syy, k, L) with L the Cholesky factor of Sxx."""
    Sxx = _symmetric("Sxx", _matrix("Sxx", Sxx))
    d = Sxx.shape[0]
    Sxy = _matrix("Sxy", Sxy, (d, None))
    Syy = _symmetric("Syy", _matrix("Syy", Syy, (Sxy.shape[1], Sxy.shape[1])))
    L = cholesky_or_none(Sxx)
    if L is None:
        raise InputError("Sxx must be positive definite (the inputs' second-moment matrix "
                         "X^T X / m must be invertible: m >= d and X of full column rank)")
    k = Sxy.shape[1] if k is None else _validate.positive("k", k)
    return Sxx, Sxy, Syy, k, L


def _weights(Ws, d, k_out):
    if isinstance(Ws, np.ndarray) or not isinstance(Ws, (list, tuple)) or len(Ws) < 1:
        raise InputError("Ws must be a list [W1, ..., WH] of H >= 1 weight matrices")
    Ws = [_matrix(f"Ws[{i}]", W) for i, W in enumerate(Ws)]
    prev = d
    for i, W in enumerate(Ws):
        if W.shape[1] != prev:
            raise InputError(f"Ws[{i}] must have {prev} columns (the width below it), "
                             f"got shape {W.shape}")
        prev = W.shape[0]
    if prev != k_out:
        raise InputError(f"Ws[-1] must have {k_out} rows (the outputs, Sxy.shape[1]), "
                         f"got {prev}")
    return Ws


# ------------------------------------------------------------------------------ helpers
def covariances(X, Y):
    r"""Second-moment matrices :math:`(X^\top X/m,\ X^\top Y/m,\ Y^\top Y/m)` of data ``X``
    (m × d) and ``Y`` (m × k), float64 NumPy (one sample per row)."""
    X = _matrix("X", X)
    Y = _matrix("Y", Y, (X.shape[0], None))
    m = X.shape[0]
    return X.T @ X / m, X.T @ Y / m, Y.T @ Y / m


def flatten(Ws):
    r""":math:`\theta = (\mathrm{vec}\,W_1, \ldots)`, column-stacking vec (Fortran order)."""
    return np.concatenate([np.asarray(W, dtype=float).reshape(-1, order="F") for W in Ws])


def unflatten(theta, shapes):
    """Inverse of :func:`flatten` for the given matrix shapes."""
    theta = np.asarray(theta, dtype=float)
    sizes = [r * c for r, c in shapes]
    if theta.shape != (sum(sizes),):
        raise InputError(f"theta must have shape ({sum(sizes)},) for shapes {list(shapes)}, "
                         f"got {theta.shape}")
    cuts = np.cumsum([0] + sizes)
    return [theta[a:b].reshape(s, order="F") for a, b, s in zip(cuts[:-1], cuts[1:], shapes)]


def commutation_matrix(r, c):
    r"""The commutation matrix :math:`K_{r,c}` (rc × rc): :math:`\mathrm{vec}(A^\top) =
    K_{r,c}\,\mathrm{vec}(A)` for every r × c matrix A (Magnus & Neudecker, Ch. 3, Sec. 7).

    References
    ----------
    .. [1] J. R. Magnus, H. Neudecker, "Matrix Differential Calculus with Applications in
       Statistics and Econometrics", 3rd ed., Wiley (2019), doi:10.1002/9781119541219. Ch. 3.
    """
    r = _validate.integer("r", r, 1)
    c = _validate.integer("c", c, 1)
    K = np.zeros((r * c, r * c))
    i, j = np.meshgrid(np.arange(r), np.arange(c), indexing="ij")
    K[(j + i * c).ravel(), (i + j * r).ravel()] = 1.0
    return K


def _chains(Ws):
    """A_l = W_H...W_{l+1} (k × n_l) and B_l = W_{l-1}...W_1 (n_{l-1} × d), l = 1..H."""
    H = len(Ws)
    A = [None] * H
    B = [None] * H
    B[0] = np.eye(Ws[0].shape[1])
    for l in range(1, H):
        B[l] = Ws[l - 1] @ B[l - 1]
    A[H - 1] = np.eye(Ws[-1].shape[0])
    for l in range(H - 2, -1, -1):
        A[l] = A[l + 1] @ Ws[l + 1]
    return A, B


def _product(Ws):
    W = Ws[0]
    for V in Ws[1:]:
        W = V @ W
    return W


# ------------------------------------------------------------------- deep linear network
def deep_linear_loss(Ws, Sxx, Sxy, Syy, k=None):
    r"""Loss :math:`\frac{1}{2k}\mathrm{tr}(\Sigma_{yy} - 2W\Sigma_{xy} + W\Sigma_{xx}W^\top)`,
    :math:`W = W_H\cdots W_1`, of the linear network with weights ``Ws = [W1, ..., WH]``
    (module conventions).

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. The normalisation 1/(2km).
    """
    Sxx, Sxy, Syy, k, _ = _data(Sxx, Sxy, Syy, k)
    Ws = _weights(Ws, Sxx.shape[0], Sxy.shape[1])
    W = _product(Ws)
    return float((np.trace(Syy) - 2 * np.sum(W * Sxy.T) + np.sum((W @ Sxx) * W)) / (2 * k))


def deep_linear_gradient(Ws, Sxx, Sxy, Syy, k=None):
    r"""Gradient :math:`\partial L/\partial W_l = \frac1k A_l^\top E B_l^\top`,
    :math:`E = W\Sigma_{xx} - \Sigma_{yx}` (module conventions); a list like ``Ws``.

    From :math:`dL = \frac1k\mathrm{tr}(E\,dW^\top)` and
    :math:`dW = \sum_l A_l\,dW_l\,B_l` (Magnus & Neudecker, Ch. 9).

    References
    ----------
    .. [1] J. R. Magnus, H. Neudecker, "Matrix Differential Calculus with Applications in
       Statistics and Econometrics", 3rd ed., Wiley (2019), doi:10.1002/9781119541219. Ch. 9.
    """
    Sxx, Sxy, Syy, k, _ = _data(Sxx, Sxy, Syy, k)
    Ws = _weights(Ws, Sxx.shape[0], Sxy.shape[1])
    A, B = _chains(Ws)
    E = _product(Ws) @ Sxx - Sxy.T
    return [A[l].T @ E @ B[l].T / k for l in range(len(Ws))]


def deep_linear_hessian(Ws, Sxx, Sxy, Syy, k=None):
    r"""Exact Hessian of :math:`L` in :math:`\theta = (\mathrm{vec}\,W_1, \ldots,
    \mathrm{vec}\,W_H)` (module conventions), any depth H ≥ 1.

    The second differential (``dθ`` fixed) is
    :math:`d^2L = \frac1k[\mathrm{tr}(dW\,\Sigma_{xx}\,dW^\top) + \mathrm{tr}(E\,(d^2W)^\top)]`
    with :math:`dW = \sum_l A_l\,dW_l\,B_l` and
    :math:`d^2W = 2\sum_{l<m} A_m\,dW_m\,M_{ml}\,dW_l\,B_l`,
    :math:`M_{ml} = W_{m-1}\cdots W_{l+1}` (:math:`n_{m-1}\times n_l`; the identity when
    m = l + 1). Reading off :math:`d^2L = d\theta^\top H\,d\theta` (Magnus & Neudecker,
    Ch. 10) gives the blocks

    .. math::

        H_{lm} = \frac1k\,(B_l\Sigma_{xx}B_m^\top)\otimes(A_l^\top A_m)
                 \;+\; [m > l]\,\frac1k\,\bigl[(M_{ml}\otimes A_m^\top E B_l^\top)
                 \,K_{n_l, n_{l-1}}\bigr]^\top
                 \;+\; [m < l]\,\frac1k\,(M_{lm}\otimes A_l^\top E B_m^\top)
                 \,K_{n_m, n_{m-1}},

    :math:`K` the commutation matrix (:func:`commutation_matrix`). The first term is the
    Gauss–Newton part :math:`H_0` (DESIGN.md), the others the residual part :math:`H_1`,
    which vanishes when :math:`E = 0`. For H = 2 this is :func:`linear_network_hessian`.

    References
    ----------
    .. [1] J. R. Magnus, H. Neudecker, "Matrix Differential Calculus with Applications in
       Statistics and Econometrics", 3rd ed., Wiley (2019), doi:10.1002/9781119541219. Ch. 10.
    .. [2] K. Kawaguchi, "Deep Learning without Poor Local Minima", NeurIPS 2016, 586–594,
       arXiv:1605.07110. The Hessian of the deep linear network (Sec. 2, proofs in App. A).
    """
    Sxx, Sxy, Syy, k, _ = _data(Sxx, Sxy, Syy, k)
    Ws = _weights(Ws, Sxx.shape[0], Sxy.shape[1])
    H = len(Ws)
    A, B = _chains(Ws)
    E = _product(Ws) @ Sxx - Sxy.T
    sizes = [W.size for W in Ws]
    cuts = np.cumsum([0] + sizes)
    out = np.zeros((cuts[-1], cuts[-1]))
    for l in range(H):
        for m in range(H):
            out[cuts[l]:cuts[l + 1], cuts[m]:cuts[m + 1]] = np.kron(
                B[l] @ Sxx @ B[m].T, A[l].T @ A[m])
    for l in range(H):
        for m in range(l + 1, H):
            M = np.eye(Ws[l].shape[0])
            for j in range(l + 1, m):
                M = Ws[j] @ M
            n_l, n_lm1 = Ws[l].shape
            block = np.kron(M, A[m].T @ E @ B[l].T) @ commutation_matrix(n_l, n_lm1)
            out[cuts[m]:cuts[m + 1], cuts[l]:cuts[l + 1]] += block
            out[cuts[l]:cuts[l + 1], cuts[m]:cuts[m + 1]] += block.T
    return (out + out.T) / (2 * k)          # exactly symmetric (the blocks are, to rounding)


def relative_gradient_norm(Ws, Sxx, Sxy, Syy, k=None, gradient=None):
    r"""Size of the gradient relative to its terms before cancellation:
    :math:`\lVert\nabla L\rVert / s`, :math:`s = \frac1k(\lVert W\Sigma_{xx}\rVert +
    \lVert\Sigma_{yx}\rVert)\sum_l\lVert A_l\rVert\,\lVert B_l\rVert` (Frobenius norms), a
    bound on :math:`\lVert\nabla L\rVert` that does not see cancellation, so that rounding at a
    critical point gives a few units of 1e-16. ``gradient`` (flat, or a list like ``Ws``)
    defaults to the closed form; 0 when the gradient is exactly 0.
    """
    Sxx, Sxy, Syy, k, _ = _data(Sxx, Sxy, Syy, k)
    Ws = _weights(Ws, Sxx.shape[0], Sxy.shape[1])
    if gradient is None:
        gradient = deep_linear_gradient(Ws, Sxx, Sxy, Syy, k)
    g = np.linalg.norm(flatten(gradient) if isinstance(gradient, (list, tuple))
                       else np.asarray(gradient, dtype=float))
    if g == 0:
        return 0.0
    A, B = _chains(Ws)
    W = _product(Ws)
    s = ((np.linalg.norm(W @ Sxx) + np.linalg.norm(Sxy))
         * sum(np.linalg.norm(a) * np.linalg.norm(b) for a, b in zip(A, B)) / k)
    return float(g / s) if s > 0 else math.inf


# ------------------------------------------------------------------- two-layer network
def linear_network_loss(W1, W2, Sxx, Sxy, Syy, k=None):
    r"""Loss of :math:`f(x) = W_2W_1x` (:func:`deep_linear_loss` with ``[W1, W2]``)."""
    return deep_linear_loss([W1, W2], Sxx, Sxy, Syy, k)


def linear_network_gradient(W1, W2, Sxx, Sxy, Syy, k=None):
    r"""``(∂L/∂W1, ∂L/∂W2) = (W2ᵀE/k, E W1ᵀ/k)``, :math:`E = W_2W_1\Sigma_{xx} - \Sigma_{yx}`.

    References
    ----------
    .. [1] P. Baldi, K. Hornik, "Neural networks and principal component analysis: Learning from
       examples without local minima", Neural Networks 2(1), 53–58 (1989),
       doi:10.1016/0893-6080(89)90014-2. The gradient of the two-layer loss.
    """
    return tuple(deep_linear_gradient([W1, W2], Sxx, Sxy, Syy, k))


def linear_network_hessian(W1, W2, Sxx, Sxy, Syy, k=None):
    r"""Exact Hessian of the two-layer linear network's loss in
    :math:`\theta = (\mathrm{vec}\,W_1, \mathrm{vec}\,W_2)` (column-stacking vec), with
    ``W1`` p × d, ``W2`` k × p.

    :math:`L` is a quartic polynomial in θ. Its second differential is
    :math:`d^2L = \frac1k\bigl[\mathrm{tr}(dW\,\Sigma_{xx}\,dW^\top) +
    2\,\mathrm{tr}(E\,dW_1^\top dW_2^\top)\bigr]`, :math:`dW = dW_2W_1 + W_2\,dW_1`,
    :math:`E = W_2W_1\Sigma_{xx} - \Sigma_{yx}`, whence

    .. math::

        H = \frac1k\begin{pmatrix}
              \Sigma_{xx}\otimes W_2^\top W_2 & H_{21}^\top \\
              H_{21} & (W_1\Sigma_{xx}W_1^\top)\otimes I_k
            \end{pmatrix},\qquad
        H_{21} = (W_1\Sigma_{xx})\otimes W_2 + (I_p\otimes E)\,K_{p,d},

    with the commutation matrix :math:`K_{p,d}` (:math:`\mathrm{vec}\,A^\top =
    K_{p,d}\,\mathrm{vec}\,A` for p × d A). Size p(d + k).

    Parameters
    ----------
    W1 : (p, d) array
    W2 : (k, p) array
    Sxx, Sxy, Syy : arrays
        Second moments (module conventions); ``Syy`` does not enter the Hessian but is
        validated.
    k : float > 0, optional
        The normalisation's output count; default ``Sxy.shape[1]``.

    References
    ----------
    .. [1] P. Baldi, K. Hornik, "Neural networks and principal component analysis: Learning from
       examples without local minima", Neural Networks 2(1), 53–58 (1989),
       doi:10.1016/0893-6080(89)90014-2. The loss whose Hessian this is.
    .. [2] J. R. Magnus, H. Neudecker, "Matrix Differential Calculus with Applications in
       Statistics and Econometrics", 3rd ed., Wiley (2019), doi:10.1002/9781119541219. Ch. 10
       (Hessians from second differentials), Ch. 3 (the commutation matrix).
    """
    Sxx, Sxy, Syy, k, _ = _data(Sxx, Sxy, Syy, k)
    W1, W2 = _weights([W1, W2], Sxx.shape[0], Sxy.shape[1])
    p, d = W1.shape
    kk = W2.shape[0]
    E = W2 @ W1 @ Sxx - Sxy.T
    H11 = np.kron(Sxx, W2.T @ W2)
    H22 = np.kron(W1 @ Sxx @ W1.T, np.eye(kk))
    H21 = np.kron(W1 @ Sxx, W2) + np.kron(np.eye(p), E) @ commutation_matrix(p, d)
    H = np.block([[H11, H21.T], [H21, H22]])
    return (H + H.T) / (2 * k)


# ------------------------------------------------------------------- Baldi & Hornik
def baldi_hornik_sigma(Sxx, Sxy):
    r"""Eigen-decomposition of :math:`\Sigma = \Sigma_{yx}\Sigma_{xx}^{-1}\Sigma_{xy}` (k × k),
    eigenvalues in decreasing order.

    Computed as :math:`Z^\top Z` with :math:`Z = L^{-1}\Sigma_{xy}`,
    :math:`\Sigma_{xx} = LL^\top` (Cholesky), so Σ is symmetric positive semi-definite to
    rounding.

    Returns
    -------
    lam : (k,) array, decreasing
    U : (k, k) array, orthonormal eigenvectors as columns (``U[:, i]`` for ``lam[i]``)

    References
    ----------
    .. [1] P. Baldi, K. Hornik, "Neural networks and principal component analysis: Learning from
       examples without local minima", Neural Networks 2(1), 53–58 (1989),
       doi:10.1016/0893-6080(89)90014-2. The matrix Σ.
    """
    Sxx = _symmetric("Sxx", _matrix("Sxx", Sxx))
    Sxy = _matrix("Sxy", Sxy, (Sxx.shape[0], None))
    L = cholesky_or_none(Sxx)
    if L is None:
        raise InputError("Sxx must be positive definite")
    return _sigma(L, Sxy)


def _sigma(L, Sxy):
    Z = np.linalg.solve(L, Sxy)                      # L^-1 Sxy (L lower triangular)
    lam, U = np.linalg.eigh(Z.T @ Z)
    return lam[::-1], U[:, ::-1]


def baldi_hornik_critical_points(Sxx, Sxy, Syy, p, k=None):
    r"""Every critical point of the two-layer linear network :math:`f(x) = W_2W_1x`
    (W1: p × d, W2: k × p), one representative per critical value of the product
    :math:`W = W_2W_1`, with its loss in closed form.

    Theorem (Baldi & Hornik 1989). Let :math:`\Sigma_{xx}` be invertible and
    :math:`\Sigma = \Sigma_{yx}\Sigma_{xx}^{-1}\Sigma_{xy}` have distinct positive eigenvalues
    :math:`\lambda_1 > \cdots > \lambda_k > 0` with orthonormal eigenvectors
    :math:`u_1, \ldots, u_k` (so d ≥ k), and :math:`1 \le p \le \min(d, k)`.

    - At every critical point :math:`W = W_2W_1 = U_IU_I^\top\Sigma_{yx}\Sigma_{xx}^{-1}`,
      where :math:`U_I = (u_i)_{i \in I}` spans the range of W2, so :math:`|I| =
      \mathrm{rank}\,W_2 \le p`. (Proof: :math:`W_2^\top E = 0` gives
      :math:`W = P\Sigma_{yx}\Sigma_{xx}^{-1}` with P the projector on range W2, so
      :math:`E = -(\mathbb 1 - P)\Sigma_{yx}`; then :math:`EW_1^\top W_2^\top = 0` gives
      :math:`(\mathbb 1 - P)\Sigma P = 0`: range W2 is an invariant subspace of Σ.)
    - When W2 has full rank p, :math:`(W_1, W_2)` is critical iff :math:`W_2 = U_IC`,
      :math:`W_1 = C^{-1}U_I^\top\Sigma_{yx}\Sigma_{xx}^{-1}` with :math:`|I| = p` and C invertible:
      the GL(p) orbit.
    - The loss there is

      .. math::

          L_I = \frac{1}{2k}\Bigl(\mathrm{tr}\,\Sigma_{yy} - \sum_{i\in I}\lambda_i\Bigr)

      (this module's normalisation: :math:`\mathrm{tr}(W\Sigma_{xy}) =
      \mathrm{tr}(W\Sigma_{xx}W^\top) = \sum_{i \in I}\lambda_i`).
    - :math:`I = \{1..p\}` is the global minimum and the only local minimum; every other
      critical point is a saddle.

    What is enumerated: every subset I with :math:`0 \le |I| \le p`, i.e.
    :math:`\sum_{r=0}^{p}\binom{k}{r}` points, each in the canonical gauge
    ``W2 = [U_I | 0]`` (k × p: the eigenvectors, in decreasing eigenvalue order, then zero
    columns) and ``W1 = [U_Iᵀ Σ_yx Σ_xx⁻¹ ; 0]`` (p × d: zero rows below). For
    :math:`|I| = p` the set of critical points with this W is exactly the GL(p) orbit of the
    representative; for :math:`|I| < p` (rank-deficient W, W2 of rank :math:`|I| < p`) it is
    larger — e.g. the unused columns of W2 may be any vectors in span(U_I) while the matching
    rows of W1 are 0 — and these degenerate families are represented by the one point only.
    By the first bullet the list is
    complete: every critical point has the product W of exactly one entry.

    Parameters
    ----------
    Sxx, Sxy, Syy : arrays
        Second moments (module conventions).
    p : int, 1 <= p <= min(d, k)
        Hidden units.
    k : float > 0, optional
        The normalisation's output count; default ``Sxy.shape[1]``.

    Returns
    -------
    list of dict
        One per subset, ordered by :math:`|I|` then lexicographically; keys ``subset``
        (tuple of 0-based indices into the decreasing eigenvalues), ``rank``
        (:math:`|I|`), ``W1``, ``W2``, ``W``,
        ``loss`` (the closed form :math:`L_I`), ``eigenvalues`` (:math:`\lambda_I`),
        ``global_minimum`` (bool), ``kind`` ("global minimum" or "saddle").

    Raises
    ------
    InputError
        Bad shapes; Sxx not positive definite; p out of range; Σ's eigenvalues not distinct
        and positive to relative precision 1e-8 (:data:`EIGEN_RTOL`); more than
        :data:`MAX_POINTS` subsets.

    References
    ----------
    .. [1] P. Baldi, K. Hornik, "Neural networks and principal component analysis: Learning from
       examples without local minima", Neural Networks 2(1), 53–58 (1989),
       doi:10.1016/0893-6080(89)90014-2. The characterisation of the critical points (main
       theorem) and of the rank-deficient ones; the losses; the unique local minimum.
    .. [2] K. Kawaguchi, "Deep Learning without Poor Local Minima", NeurIPS 2016, 586–594,
       arXiv:1605.07110. Every critical point other than a global minimum is a saddle (Thm.
       2.3), here without BH89's assumptions.
    """
    Sxx, Sxy, Syy, k, L = _data(Sxx, Sxy, Syy, k)
    d, kk = Sxy.shape
    p = _validate.integer("p", p, 1)
    if p > min(d, kk):
        raise InputError(f"p must be an integer in [1, min(d, k)] = [1, {min(d, kk)}], got {p}")
    count = sum(math.comb(kk, r) for r in range(p + 1))
    if count > MAX_POINTS:
        raise InputError(f"p={p} with k={kk} outputs gives {count} critical points, more than "
                         f"{MAX_POINTS}: use a smaller p or fewer outputs")
    lam, U = _sigma(L, Sxy)
    top = lam[0]
    if not top > 0 or lam[-1] <= EIGEN_RTOL * top or np.any(-np.diff(lam) <= EIGEN_RTOL * top):
        raise InputError(
            f"Sigma = Syx Sxx^-1 Sxy must have distinct positive eigenvalues (Baldi & Hornik's "
            f"assumption; gaps and smallest eigenvalue > {EIGEN_RTOL:g} x the largest; d >= k "
            f"is needed), got eigenvalues {lam.tolist()}")
    # rows of U^T Syx Sxx^-1 = (Sxx^-1 Sxy U)^T, through the Cholesky factor
    G = np.linalg.solve(L.T, np.linalg.solve(L, Sxy @ U)).T   # (k, d)
    trYY = float(np.trace(Syy))
    points = []
    for r in range(p + 1):
        for I in itertools.combinations(range(kk), r):
            I = list(I)
            W2 = np.zeros((kk, p))
            W1 = np.zeros((p, d))
            W2[:, :r] = U[:, I]
            W1[:r] = G[I]
            glob = r == p and I == list(range(p))
            points.append({"subset": tuple(I), "rank": r, "W1": W1, "W2": W2, "W": W2 @ W1,
                           "loss": (trYY - float(np.sum(lam[I]))) / (2 * k),
                           "eigenvalues": lam[I].copy(), "global_minimum": glob,
                           "kind": "global minimum" if glob else "saddle"})
    return points


def index_with_zero_modes(H, rtol=1e-8):
    r"""Inertia of the symmetric matrix ``H`` with zero modes snapped: (negative, zero,
    positive) counts.

    Snapping rule: an eigenvalue λ counts as zero when :math:`|\lambda| \le
    \mathrm{rtol}\cdot\max_i|\lambda_i|` (all are zero when H = 0). At a critical point of the
    two-layer linear network the GL(p) symmetry :math:`W_1 \to CW_1`, :math:`W_2 \to W_2C^{-1}`
    gives the :math:`p^2` exact zero modes :math:`(AW_1, -W_2A)`, A ∈ gl(p) (independent when
    W1 and W2 have rank p); a closed-form Hessian at a point computed to machine precision puts
    them at a few units of :math:`10^{-16}\max|\lambda|`, and the default ``rtol = 1e-8``
    leaves eight orders of magnitude to the smallest genuine curvature. Check that gap (the
    smallest unsnapped :math:`|\lambda|`) when the problem is ill-conditioned.

    Parameters
    ----------
    H : (n, n) symmetric array
    rtol : float in (0, 1)

    Returns
    -------
    Inertia
        ``(negative, zero, positive)``, a named tuple of ints.
    """
    H = _symmetric("H", _matrix("H", H))
    rtol = _validate.positive("rtol", rtol)
    if rtol >= 1:
        raise InputError(f"rtol must be in (0, 1), got {rtol!r}")
    lam = np.linalg.eigvalsh(H)
    tol = rtol * np.max(np.abs(lam)) if lam.size else 0.0
    zero = np.abs(lam) <= tol
    return Inertia(int(np.sum(~zero & (lam < 0))), int(np.sum(zero)),
                   int(np.sum(~zero & (lam > 0))))


# ------------------------------------------------------------------- Kawaguchi
def deep_linear_degenerate_saddle(Sxx, Sxy, Syy, dims, k=None):
    r"""A saddle without negative curvature: the origin of a deep linear network of depth
    H = len(dims) + 1 ≥ 3 (Kawaguchi 2016).

    At :math:`W_1 = \cdots = W_H = 0` every term of the gradient
    :math:`\frac1k A_l^\top E B_l^\top` contains H − 1 ≥ 2 zero factors and every term of the
    Hessian (:func:`deep_linear_hessian`) at least H − 2 ≥ 1, so both vanish exactly: the loss
    is flat to second order. Along :math:`\theta = t v` with
    :math:`v = (V_1, \ldots, V_H)` and :math:`V = V_H\cdots V_1`,

    .. math::

        L(tv) - L(0) = -a\,t^H + b\,t^{2H},\qquad a = \tfrac1k\mathrm{tr}(V\Sigma_{xy}),\quad
        b = \tfrac{1}{2k}\mathrm{tr}(V\Sigma_{xx}V^\top).

    The escape direction is built from the top singular pair
    :math:`\Sigma_{xy} = \sum_j s_j\,g_j h_j^\top` (:math:`g_j \in R^d`, :math:`h_j \in R^k`):
    :math:`V_1 = e_1g_1^\top`, :math:`V_l = e_1e_1^\top` (1 < l < H),
    :math:`V_H = h_1e_1^\top`, each scaled by :math:`1/\sqrt H` so that
    :math:`\lVert v\rVert = 1`; then :math:`V = H^{-H/2}h_1g_1^\top` and
    :math:`a = s_1H^{-H/2}/k > 0`. So the loss decreases like :math:`t^H` (t³ at depth 3): the
    origin is a saddle, not a minimum, although its Hessian is positive semi-definite (zero).

    Parameters
    ----------
    Sxx, Sxy, Syy : arrays
        Second moments (module conventions); ``Sxy`` must not be 0.
    dims : sequence of ints >= 1, length >= 2
        Hidden widths :math:`(n_1, \ldots, n_{H-1})`; the depth is H = len(dims) + 1.
    k : float > 0, optional
        The normalisation's output count; default ``Sxy.shape[1]``.

    Returns
    -------
    dict
        ``Ws`` (the zero weights), ``depth`` H, ``loss`` L(0) = tr Σ_yy/(2k), ``gradient``
        (flat, exactly 0), ``hessian_eigenvalues`` (of :func:`deep_linear_hessian`, all 0),
        ``direction`` (list ``[V1, ..., VH]``, unit norm as a flat vector), ``order`` H
        (the leading power of t), ``a`` and ``b`` (the coefficients above).

    References
    ----------
    .. [1] K. Kawaguchi, "Deep Learning without Poor Local Minima", Advances in Neural
       Information Processing Systems 29 (NeurIPS 2016), 586–594, arXiv:1605.07110. Thm. 2.3 and
       Cor. 2.4: for depth H ≥ 3 there are saddle points whose Hessian has no negative
       eigenvalue (for H = 2 there are none).
    .. [2] H. Lu, K. Kawaguchi, "Depth Creates No Bad Local Minima", arXiv:1702.08580 (2017).
       Still, every local minimum is global.
    """
    Sxx, Sxy, Syy, k, _ = _data(Sxx, Sxy, Syy, k)
    d, kk = Sxy.shape
    try:
        dims = tuple(dims)
    except TypeError:
        raise InputError(f"dims must be a sequence of >= 2 hidden widths (integers >= 1), "
                         f"got {dims!r}") from None
    if len(dims) < 2:
        raise InputError(f"dims must hold >= 2 hidden widths (depth H = len(dims) + 1 >= 3; "
                         f"at depth 2 every saddle has a negative eigenvalue), got {dims!r}")
    dims = tuple(_validate.integer("dims", n, 1) for n in dims)
    widths = (d,) + dims + (kk,)
    H = len(widths) - 1
    g, s, ht = np.linalg.svd(Sxy)
    if not s[0] > 0:
        raise InputError("Sxy must not be the zero matrix (with Sxy = 0 the origin is the "
                         "global minimum)")
    Ws = [np.zeros((widths[l + 1], widths[l])) for l in range(H)]
    V = [np.zeros_like(W) for W in Ws]
    c = 1 / math.sqrt(H)
    V[0][0] = c * g[:, 0]
    for l in range(1, H - 1):
        V[l][0, 0] = c
    V[-1][:, 0] = c * ht[0]
    P = _product(V)
    a = float(np.sum(P * Sxy.T) / k)
    b = float(np.sum((P @ Sxx) * P) / (2 * k))
    return {"Ws": Ws, "depth": H, "loss": float(np.trace(Syy) / (2 * k)),
            "gradient": flatten(deep_linear_gradient(Ws, Sxx, Sxy, Syy, k)),
            "hessian_eigenvalues": np.linalg.eigvalsh(deep_linear_hessian(Ws, Sxx, Sxy, Syy, k)),
            "direction": V, "order": H, "a": a, "b": b}
