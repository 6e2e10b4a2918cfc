r"""The spherical p-spin Hamiltonian, its derivatives and its critical points, batched and
xp-generic (NumPy or CuPy).

Convention (DESIGN.md; Auffinger, Ben Arous & Černý, CPAM 66 (2013), "Random matrices and
complexity of spin glasses": ABC13, Eq. (1.1))

.. math:: H_N(\sigma) = N^{-(p-1)/2} \sum_{i_1,\dots,i_p=1}^N J_{i_1\dots i_p}
          \sigma_{i_1}\cdots\sigma_{i_p}, \qquad J_{i_1\dots i_p} \text{ i.i.d. } N(0,1),

over **all ordered** index tuples, for :math:`\sigma` on the sphere
:math:`S^{N-1}(\sqrt N) = \{|\sigma|^2 = N\}`; energy per site :math:`u = H_N/N`.  The
covariance is :math:`\mathbb E[H_N(\sigma)H_N(\sigma')] = N\,(\sigma\cdot\sigma'/N)^p`
(ABC13 Eq. (1.2)).

Since :math:`J` is not symmetric, derivatives use its symmetrisation
:math:`J^{s} = \frac1{p!}\sum_{\pi} J_{i_{\pi(1)}\dots i_{\pi(p)}}` (same :math:`H_N`):
:math:`\nabla H = p\,N^{-(p-1)/2} J^s[\sigma^{p-1}]`,
:math:`\nabla^2 H = p(p-1)\,N^{-(p-1)/2} J^s[\sigma^{p-2}]`.  All contractions are matrix
products over a batch of points ``sigma`` of shape ``(B, N)``.

Riemannian quantities on :math:`\{|\sigma|^2=N\}`, with :math:`P = I - \sigma\sigma^T/N`:
gradient :math:`P\nabla H`, Hessian :math:`P(\nabla^2 H - (\sigma\cdot\nabla H/N) I)P`,
returned as an :math:`(N-1)\times(N-1)` matrix in an orthonormal tangent basis (Householder).
Euler's identity for the degree-:math:`p` polynomial gives :math:`\sigma\cdot\nabla H = pH_N
= pNu` at *every* point, so the shift is exactly :math:`-pu`.

Hessian scale (derived here, checked numerically in ``tests/test_sampling_spinglass.py``): from
:math:`\mathbb E[H_N(\sigma)H_N(\sigma')] = N\xi(\sigma\cdot\sigma'/N)`, :math:`\xi(x) = x^p`, for
orthonormal tangent directions :math:`\mathrm{Cov}(\partial_{ij}H, \partial_{kl}H) =
\xi''(1)(\delta_{ik}\delta_{jl} + \delta_{il}\delta_{jk})/N`, so in this normalisation the tangent Euclidean Hessian has entries of variance :math:`p(p-1)/N`
(off-diagonal) and :math:`2p(p-1)/N` (diagonal), independent of :math:`H_N` and
:math:`\nabla H` at the same point, i.e. it is :math:`\sqrt{p(p-1)}` times a GOE whose
semicircle is :math:`[-2,2]` (ABC13 Lemma 3.2 rescaled from the unit sphere).  Hence the
Riemannian Hessian at a critical point of energy :math:`u` has spectrum
:math:`\approx \sqrt{p(p-1)}\,[-2,2] - pu` **without further scaling** (exactly, the GOE edge
is :math:`2\sqrt{(N-1)/N}`).  Consequence tested: the mean over tangent eigenvalues of
:math:`(\lambda + pu)^2` has expectation exactly :math:`p(p-1)` at any point.

References
----------
A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses",
Comm. Pure Appl. Math. 66, 165 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129 (ABC13).
P.-A. Absil, R. Mahony, R. Sepulchre, *Optimization Algorithms on Matrix Manifolds*,
Princeton 2008 (Riemannian gradient, Hessian, retraction, Armijo backtracking).
"""
import math

import numpy as np

from .._validate import InputError
from .. import _seeds, _validate
from .._backend import array_namespace, check_finite, get_xp, linalg_errors
from ..linalg.dense import eigvalsh_batched, require_memory

__all__ = [
    "MAX_COUPLING_BYTES", "sample_couplings", "symmetrize_couplings", "energy", "gradient",
    "hessian", "tangent_basis", "riemannian_gradient", "riemannian_hessian",
    "random_sphere_points", "newton_step", "riemannian_gradient_descent",
    "find_critical_points",
]

#: Largest coupling tensor :func:`sample_couplings` creates (bytes, float64).
MAX_COUPLING_BYTES = 2 << 30
#: Largest p supported by :func:`sample_couplings` (the tensor has N**p entries).
MAX_P = 4
#: Working-memory budget (bytes) for one chunk of the contraction ``(B, N**(p-1))``.
_CHUNK_BYTES = 1 << 28
#: Armijo sufficient-decrease constant c1 and the step multipliers after an accepted /
#: rejected step of the backtracking descent (Nocedal & Wright, *Numerical Optimization*,
#: 2nd ed., Springer 2006, Sec. 3.1: c1 = 1e-4 is their suggested value).
ARMIJO_C1, STEP_GROW, STEP_SHRINK = 1e-4, 1.25, 0.5
#: Relative floor of |eigenvalue| in the eigendecomposition fallback of a singular Newton
#: system: ~1e4 unit roundoffs of float64, so the step stays finite and its direction exact.
EIG_FLOOR = 1e-12
#: Gradient tolerance |grad|/N at which descent hands over to Newton (kind="minima"): small
#: enough that Newton converges quadratically from there, large enough to be cheap.
DESCENT_TOL = 1e-6
#: Caps of the Newton step |d|, in units of the sphere radius sqrt(N): small after descent
#: (stay in the basin of the minimum found), larger from random starts (reach any index).
NEWTON_STEP_AFTER_DESCENT, NEWTON_STEP_FROM_START = 0.1, 0.5
#: Two converged points are the same critical point when |sigma - sigma'|/sqrt(N) < this:
#: far above the position error of a point with |grad|/N <= 1e-10 and far below the typical
#: distance O(1) between distinct critical points.
MERGE_RADIUS = 1e-6


# --------------------------------------------------------------------------- helpers

def _check_J(J):
    xp = array_namespace(J)
    J = xp.asarray(J, dtype=xp.float64)
    p = J.ndim
    if p < 2:
        raise InputError(f"J must have p >= 2 axes (p-spin couplings), got shape {J.shape}")
    N = J.shape[0]
    if any(n != N for n in J.shape) or N < 2:
        raise InputError(f"J must have shape (N,)*p with N >= 2, got shape {J.shape}")
    if not bool(xp.all(xp.isfinite(J))):
        raise InputError("J must contain only finite couplings (it holds a NaN or an infinity)")
    return xp, J, N, p


def _check_sigma(xp, sigma, N):
    sigma = xp.asarray(sigma, dtype=xp.float64)
    single = sigma.ndim == 1
    if single:
        sigma = sigma[None, :]
    if sigma.ndim != 2 or sigma.shape[1] != N:
        raise InputError(f"sigma must have shape (B, N) or (N,) with N = {N}, "
                         f"got shape {sigma.shape}")
    return sigma, single


def symmetrize_couplings(J):
    r"""Symmetrised couplings :math:`J^s = \frac1{p!}\sum_\pi J\circ\pi`, which define the same
    :math:`H_N` as ``J`` (ABC13 Eq. (1.1)); shape ``(N,)*p``, backend of ``J``."""
    xp, J, N, p = _check_J(J)
    perms = list(_permutations(p))
    Js = xp.zeros_like(J)
    for perm in perms:  # loop over the p! axis permutations (<= 24), not over elements
        Js += xp.transpose(J, perm)
    Js /= len(perms)
    return Js


def _permutations(p):
    import itertools
    return itertools.permutations(range(p))


def _contract(Js, sigma, N, p):
    r"""For symmetric ``Js``: ``T = Js[sigma^{p-2}]`` of shape ``(B, N, N)`` (no prefactor)."""
    xp = array_namespace(Js, sigma)
    B = sigma.shape[0]
    if p == 2:
        return xp.broadcast_to(Js, (B, N, N))
    # first contraction as one GEMM: (N**(p-1), N) @ (N, B)
    T = (Js.reshape(N ** (p - 1), N) @ sigma.T).T  # (B, N**(p-1))
    for k in range(p - 1, 2, -1):  # loop over tensor order, not elements
        T = xp.matmul(T.reshape(B, N ** (k - 1), N), sigma[:, :, None])[..., 0]
    return T.reshape(B, N, N)


def _derivs(Js, sigma, N, p, order):
    """Energy, gradient and (order 2) Hessian of H_N for symmetric ``Js``, chunked in B."""
    xp = array_namespace(Js, sigma)
    B = sigma.shape[0]
    c = N ** (-(p - 1) / 2)
    chunk = max(1, int(_CHUNK_BYTES // (8 * max(N ** (p - 1), N * N))))
    Es, Gs, Hs = [], [], []
    for s in range(0, B, chunk):  # loop over memory chunks
        sg = sigma[s:s + chunk]
        T = _contract(Js, sg, N, p)  # Js[sigma^{p-2}]
        Tv = xp.matmul(T, sg[:, :, None])[..., 0]  # Js[sigma^{p-1}]
        Es.append(c * xp.sum(Tv * sg, axis=1))
        Gs.append((p * c) * Tv)
        if order >= 2:
            Hs.append((p * (p - 1) * c) * T)
    E = xp.concatenate(Es)
    G = xp.concatenate(Gs, axis=0)
    Hm = xp.concatenate(Hs, axis=0) if order >= 2 else None
    return E, G, Hm


# --------------------------------------------------------------------------- sampling

def sample_couplings(N, p, *, rng=None, device="cpu"):
    r"""Couplings :math:`J_{i_1\dots i_p}` i.i.d. :math:`N(0,1)`, shape ``(N,)*p``, float64
    (ABC13 Eq. (1.1)).

    Parameters
    ----------
    N : int
        Dimension, ``N >= 2``.
    p : int
        Interaction order, integer ``2 <= p <= 4`` (the tensor has ``N**p`` entries).
    rng : None, int, SeedSequence or Generator
    device : {"cpu", "gpu", "auto"}

    Raises
    ------
    ValueError
        For ``p < 2`` or non-integer, ``p > 4``, ``N < 2``, or a tensor above
        :data:`MAX_COUPLING_BYTES` (2 GiB).
    """
    p = _validate.integer("p", p, 2)
    N = _validate.integer("N", N, 2)
    if p > MAX_P:
        raise InputError(f"p must be an integer in [2, {MAX_P}] (the coupling tensor has N**p "
                         f"entries), got {p}")
    nbytes = 8 * N ** p
    if nbytes > MAX_COUPLING_BYTES:
        raise InputError(f"N = {N} with p = {p} needs a coupling tensor of {nbytes / 2**30:.1f} "
                         f"GiB (> {MAX_COUPLING_BYTES / 2**30:.0f} GiB allowed); reduce N")
    xp = get_xp(device)
    gen = _seeds.generator(rng, xp)
    return gen.standard_normal((N,) * p, dtype=xp.float64)


def random_sphere_points(N, starts, *, rng=None, device="cpu"):
    r"""``starts`` points uniform on :math:`\{|\sigma|^2 = N\}`, shape ``(starts, N)``."""
    N = _validate.integer("N", N, 2)
    starts = _validate.integer("starts", starts, 1)
    xp = get_xp(device)
    gen = _seeds.generator(rng, xp)
    g = gen.standard_normal((starts, N), dtype=xp.float64)
    return math.sqrt(N) * g / xp.linalg.norm(g, axis=1, keepdims=True)


# --------------------------------------------------------------------------- derivatives

def energy(J, sigma, *, symmetric=False):
    r""":math:`H_N(\sigma)` (not per site) for a batch ``sigma`` of shape ``(B, N)`` → ``(B,)``
    (ABC13 Eq. (1.1)); ``sigma`` of shape ``(N,)`` gives a scalar array."""
    xp, J, N, p = _check_J(J)
    sigma, single = _check_sigma(xp, sigma, N)
    E, _, _ = _derivs(J if symmetric else symmetrize_couplings(J), sigma, N, p, 1)
    return E[0] if single else E


def gradient(J, sigma, *, symmetric=False):
    r"""Euclidean gradient :math:`\nabla H_N(\sigma) = p\,N^{-(p-1)/2}J^s[\sigma^{p-1}]`
    (sum over the :math:`p` slots of the non-symmetric ``J``), shape ``(B, N)``.
    ``symmetric=True`` declares ``J`` already symmetrised (:func:`symmetrize_couplings`) and
    skips that :math:`p!\,N^p` step (repeated evaluations, benchmarks); so do
    :func:`energy` and :func:`hessian`."""
    xp, J, N, p = _check_J(J)
    sigma, single = _check_sigma(xp, sigma, N)
    _, G, _ = _derivs(J if symmetric else symmetrize_couplings(J), sigma, N, p, 1)
    return G[0] if single else G


def hessian(J, sigma, *, symmetric=False):
    r"""Euclidean Hessian :math:`\nabla^2 H_N(\sigma) = p(p-1)N^{-(p-1)/2}J^s[\sigma^{p-2}]`,
    shape ``(B, N, N)``, symmetric."""
    xp, J, N, p = _check_J(J)
    sigma, single = _check_sigma(xp, sigma, N)
    _, _, Hm = _derivs(J if symmetric else symmetrize_couplings(J), sigma, N, p, 2)
    return Hm[0] if single else Hm


def tangent_basis(sigma):
    r"""Orthonormal bases of the tangent spaces :math:`\sigma^\perp`, shape ``(B, N, N-1)``.

    The Householder reflection :math:`Q = I - 2vv^T/|v|^2`, :math:`v = x + \mathrm{sign}(x_N)
    e_N`, :math:`x = \sigma/|\sigma|`, maps :math:`x` to :math:`\mp e_N`; its first
    :math:`N-1` columns span :math:`\sigma^\perp`.
    """
    xp = array_namespace(sigma)
    sigma = xp.asarray(sigma, dtype=xp.float64)
    if sigma.ndim == 1:
        return tangent_basis(sigma[None, :])[0]
    B, N = sigma.shape
    x = sigma / xp.linalg.norm(sigma, axis=1, keepdims=True)
    sgn = xp.where(x[:, -1] >= 0, 1.0, -1.0)
    v = x.copy()
    v[:, -1] = v[:, -1] + sgn
    v = v / xp.linalg.norm(v, axis=1, keepdims=True)
    Q = xp.eye(N, dtype=xp.float64)[None, :, :] - 2.0 * v[:, :, None] * v[:, None, :]
    return Q[:, :, : N - 1]


def _riem(Js, sigma, N, p, order):
    """Riemannian (E, grad, tangent Hessian, basis) for symmetric Js."""
    xp = array_namespace(Js, sigma)
    E, G, Hm = _derivs(Js, sigma, N, p, order)
    radial = xp.sum(sigma * G, axis=1)  # sigma . grad H  (= p H_N by Euler)
    g = G - sigma * (radial / N)[:, None]
    if order < 2:
        return E, g, None, None
    U = tangent_basis(sigma)
    Ht = xp.matmul(xp.matmul(xp.swapaxes(U, 1, 2), Hm), U)
    Ht = 0.5 * (Ht + xp.swapaxes(Ht, 1, 2))
    idx = xp.arange(N - 1)
    Ht[:, idx, idx] -= (radial / N)[:, None]
    return E, g, Ht, U


def riemannian_gradient(J, sigma):
    r"""Riemannian gradient :math:`P\nabla H_N`, :math:`P = I - \sigma\sigma^T/N`, shape
    ``(B, N)``; tangent: :math:`\sigma\cdot\mathrm{grad} = 0` for :math:`|\sigma|^2 = N`
    (ABC13 §3)."""
    xp, J, N, p = _check_J(J)
    sigma, single = _check_sigma(xp, sigma, N)
    _, g, _, _ = _riem(symmetrize_couplings(J), sigma, N, p, 1)
    return g[0] if single else g


def riemannian_hessian(J, sigma):
    r"""Riemannian Hessian :math:`P(\nabla^2 H_N - (\sigma\cdot\nabla H_N/N) I)P` on
    :math:`\{|\sigma|^2 = N\}`, as ``(B, N-1, N-1)`` matrices in the orthonormal tangent basis
    of :func:`tangent_basis`; its eigenvalues are the :math:`N-1` tangent eigenvalues.

    Since :math:`\sigma\cdot\nabla H_N = pH_N = pNu` (Euler), the shift is :math:`-pu`.  At a
    critical point of energy per site :math:`u` the spectrum is approximately
    :math:`\sqrt{p(p-1)}\cdot\mathrm{semicircle}[-2,2] - pu` (ABC13 Lemma 3.2 and Eq. (3.5),
    rescaled to the sphere of radius :math:`\sqrt N`), with no further normalisation (module
    notes).
    """
    xp, J, N, p = _check_J(J)
    sigma, single = _check_sigma(xp, sigma, N)
    _, _, Ht, _ = _riem(symmetrize_couplings(J), sigma, N, p, 2)
    return Ht[0] if single else Ht


# --------------------------------------------------------------------------- dynamics

def _retract(xp, x, N):
    return math.sqrt(N) * x / xp.linalg.norm(x, axis=1, keepdims=True)


def _newton_direction(xp, Ht, U, g, max_step):
    """Tangent Newton step d (B, N) solving Ht d_t = -U^T g, capped at |d| <= max_step.

    A singular Hessian somewhere in the batch (LU fails) switches to the eigendecomposition
    with eigenvalues floored away from 0.  The failure is detected on both backends: under
    :func:`rmtland._backend.linalg_errors` CuPy raises like NumPy instead of returning NaN,
    and a non-finite solution counts as a failure too."""
    gt = xp.matmul(xp.swapaxes(U, 1, 2), g[:, :, None])  # (B, N-1, 1)
    finite = bool(xp.all(xp.isfinite(Ht))) and bool(xp.all(xp.isfinite(gt)))
    try:
        if not finite:
            raise np.linalg.LinAlgError("non-finite tangent Hessian or gradient")
        with linalg_errors(xp):
            dt = xp.linalg.solve(Ht, -gt)
        check_finite(dt, "solve (LU)")
    except np.linalg.LinAlgError:  # a singular Hessian somewhere in the batch
        Hs = xp.where(xp.isfinite(Ht), Ht, 0.0)
        with linalg_errors(xp):
            lam, V = xp.linalg.eigh(Hs)
        check_finite(lam, "eigh (fallback of a singular Newton system)")
        floor = EIG_FLOOR * (1.0 + xp.max(xp.abs(lam), axis=1, keepdims=True))
        lam = xp.where(xp.abs(lam) < floor, xp.where(lam < 0, -floor, floor), lam)
        rhs = xp.where(xp.isfinite(gt), -gt, 0.0)
        dt = xp.matmul(V, (xp.matmul(xp.swapaxes(V, 1, 2), rhs)) / lam[:, :, None])
    d = xp.matmul(U, dt)[..., 0]
    if max_step is not None:
        nd = xp.linalg.norm(d, axis=1, keepdims=True)
        d = d * xp.minimum(1.0, max_step / xp.maximum(nd, 1e-300))
    return d


def newton_step(J, sigma, *, max_step=None):
    r"""One Riemannian Newton step on :math:`\{|\sigma|^2=N\}`: solve
    :math:`\mathrm{Hess}\,d = -\mathrm{grad}` in the tangent basis, then retract
    :math:`\sigma \leftarrow \sqrt N(\sigma+d)/|\sigma+d|`.  ``max_step`` caps :math:`|d|`.
    Returns the new points, shape of ``sigma``."""
    xp, J, N, p = _check_J(J)
    sigma, single = _check_sigma(xp, sigma, N)
    out = _newton_iter(xp, symmetrize_couplings(J), sigma, N, p, max_step)
    return out[0] if single else out


def _newton_iter(xp, Js, sigma, N, p, max_step):
    _, g, Ht, U = _riem(Js, sigma, N, p, 2)
    return _retract(xp, sigma + _newton_direction(xp, Ht, U, g, max_step), N)


def _gd(xp, Js, sigma, N, p, maxiter, tol, history, progress=None):
    """Riemannian gradient descent with per-point Armijo backtracking (monotone);
    ``progress(iteration)`` after each iteration."""
    B = sigma.shape[0]
    E, g, _, _ = _riem(Js, sigma, N, p, 1)
    # initial step ~ 1 / (bound on the Hessian norm): 2 sqrt(p(p-1)) + p * E_inf-ish
    eta = xp.full((B,), 1.0 / (2 * math.sqrt(p * (p - 1)) + 2 * p), dtype=xp.float64)
    hist = [E] if history else None
    for it in range(maxiter):  # loop over iterations
        if progress is not None:
            progress(it)
        gn2 = xp.sum(g * g, axis=1)
        active = xp.sqrt(gn2) / N > tol
        if not bool(xp.any(active)):
            break
        trial = _retract(xp, sigma - eta[:, None] * g, N)
        Et, gt, _, _ = _riem(Js, trial, N, p, 1)
        accept = active & (Et <= E - ARMIJO_C1 * eta * gn2)
        sigma = xp.where(accept[:, None], trial, sigma)
        E = xp.where(accept, Et, E)
        g = xp.where(accept[:, None], gt, g)
        eta = xp.where(accept, eta * STEP_GROW, xp.where(active, eta * STEP_SHRINK, eta))
        if history:
            hist.append(E)
    return sigma, E, g, hist


def riemannian_gradient_descent(J, sigma, *, maxiter=2000, tol=1e-6, return_energies=False):
    r"""Riemannian gradient descent on :math:`\{|\sigma|^2=N\}` for a batch of starts:
    :math:`\sigma \leftarrow \sqrt N(\sigma - \eta\,\mathrm{grad})/|\cdot|` with a per-point
    step :math:`\eta` chosen by Armijo backtracking, so the energy never increases (a step
    that would not decrease it enough is rejected and :math:`\eta` halved).

    Parameters
    ----------
    J : array, shape (N,)*p
    sigma : array, shape (B, N)
        Starting points on the sphere of radius :math:`\sqrt N`.
    maxiter : int
    tol : float
        Stop a point when :math:`|\mathrm{grad}|/N \le` ``tol`` (Euclidean norm of the
        Riemannian gradient, divided by N).
    return_energies : bool
        Also return the energies :math:`H_N` after each iteration, shape ``(iters+1, B)``.

    Returns
    -------
    sigma : array (B, N), and energies if asked.
    """
    xp, J, N, p = _check_J(J)
    sigma, single = _check_sigma(xp, sigma, N)
    maxiter = _validate.integer("maxiter", maxiter, 0)
    tol = _validate.positive("tol", tol)
    sigma = _retract(xp, sigma, N)
    sigma, _, _, hist = _gd(xp, symmetrize_couplings(J), sigma, N, p, maxiter, tol,
                            return_energies)
    out = sigma[0] if single else sigma
    if return_energies:
        return out, xp.stack(hist)
    return out


# --------------------------------------------------------------------------- critical points

def _merge(xp, sigma, N, radius=MERGE_RADIUS):
    """Representatives and counts of points within |s - s'|/sqrt(N) < radius."""
    M = sigma.shape[0]
    if M == 0:
        return xp.zeros((0,), dtype=xp.int64), xp.zeros((0,), dtype=xp.int64)
    sq = xp.sum(sigma * sigma, axis=1)
    d2 = (sq[:, None] + sq[None, :] - 2.0 * (sigma @ sigma.T)) / N
    close = d2 < radius ** 2
    rep = xp.argmax(close.astype(xp.int8), axis=1)  # first close point (itself at latest)
    rep = rep[rep]  # collapse short chains
    reps, inverse = xp.unique(rep, return_inverse=True)
    counts = xp.bincount(inverse.reshape(-1), minlength=reps.shape[0])
    return reps, counts


def find_critical_points(J, *, starts, rng=None, kind="any", tol=1e-10, maxiter=200,
                         descent_maxiter=5000, progress=None):
    r"""Critical points of :math:`H_N` on :math:`\{|\sigma|^2=N\}` from ``starts`` random
    starts, batched (ABC13 count these; their energies and indices are compared with
    :func:`rmtland.analytic.spinglass.threshold` and ``index_fraction``).

    ``kind="minima"``: Riemannian gradient descent with Armijo backtracking
    (:func:`riemannian_gradient_descent`) to :math:`|\mathrm{grad}|/N \le 10^{-6}`, then
    Newton refinement; only points of index 0 are kept.  ``kind="any"``: Riemannian Newton
    (tangent system :math:`\mathrm{Hess}\,d = -\mathrm{grad}` solved with
    ``xp.linalg.solve``), step capped at :math:`|d| \le 0.5\sqrt N`, which converges to
    critical points of any index.

    A start is *converged* when the Riemannian gradient satisfies
    :math:`|\mathrm{grad}|_2/N \le` ``tol`` (Euclidean norm of :math:`P\nabla H_N` divided by
    :math:`N`) within ``maxiter`` Newton iterations.  Converged points within
    :math:`|\sigma-\sigma'|/\sqrt N < 10^{-6}` are merged (:math:`\sigma` and :math:`-\sigma`
    are distinct points).

    Parameters
    ----------
    J : array, shape (N,)*p
    starts : int
        Number of random starts, ``>= 1``.
    rng : None, int, SeedSequence or Generator
        For the starting points (on ``J``'s backend).
    kind : {"any", "minima"}
    tol : float
        Convergence threshold on :math:`|\mathrm{grad}|/N`.
    maxiter : int
        Newton iterations.
    descent_maxiter : int
        Gradient-descent iterations (``kind="minima"``).
    progress : callable, optional
        ``progress(done, total)`` after each iteration (descent then Newton; the search may
        stop early, when every start has converged, and then reports ``total``).

    Returns
    -------
    dict with
        ``sigma`` (M, N), ``energy_per_site`` (M,) :math:`u = H_N/N`, ``index_count`` (M,)
        number of negative tangent-Hessian eigenvalues (``index`` (M,) is that count over
        :math:`N-1`, the fraction, as everywhere in rmtland), ``grad_norm`` (M,) :math:`|\mathrm{grad}|/N`,
        ``counts`` (M,) starts that reached each point, ``converged`` (starts,) mask over the
        starts, ``n_starts`` int.  Arrays on ``J``'s backend, sorted by energy.
    """
    xp, J, N, p = _check_J(J)
    starts = _validate.integer("starts", starts, 1)
    if kind not in ("any", "minima"):
        raise InputError(f"kind must be 'any' or 'minima', got {kind!r}")
    tol = _validate.positive("tol", tol)
    maxiter = _validate.integer("maxiter", maxiter, 1)
    descent_maxiter = _validate.integer("descent_maxiter", descent_maxiter, 0)
    # every start carries its tangent Hessian, basis, reflection and Euclidean Hessian
    # (about 4 N^2 float64) plus the eigensolver's copy and workspace (about 2 N^2)
    require_memory(xp, starts * 6 * N * N * 8, "starts", f"{starts} starts at N={N}")
    gen = _seeds.generator(rng, xp)
    g0 = gen.standard_normal((starts, N), dtype=xp.float64)
    sigma = _retract(xp, g0, N)
    Js = symmetrize_couplings(J)

    descent = descent_maxiter if kind == "minima" else 0
    total = descent + maxiter

    def report(done):
        if progress is not None:
            progress(done, total)
    if kind == "minima":
        sigma, _, _, _ = _gd(xp, Js, sigma, N, p, descent_maxiter, DESCENT_TOL, False,
                             progress=report)
        max_step = NEWTON_STEP_AFTER_DESCENT * math.sqrt(N)
    else:
        max_step = NEWTON_STEP_FROM_START * math.sqrt(N)
    for it in range(maxiter):  # Newton iterations
        report(descent + it)
        _, g, Ht, U = _riem(Js, sigma, N, p, 2)
        gnorm = xp.linalg.norm(g, axis=1) / N
        if bool(xp.all(gnorm <= tol)):
            break
        d = _newton_direction(xp, Ht, U, g, max_step)
        d = xp.where((gnorm <= tol)[:, None], 0.0, d)  # freeze converged points
        sigma = _retract(xp, sigma + d, N)
    E, g, Ht, _ = _riem(Js, sigma, N, p, 2)
    gnorm = xp.linalg.norm(g, axis=1) / N
    finite = xp.all(xp.isfinite(sigma), axis=1)
    converged = finite & (gnorm <= tol)
    lam = eigvalsh_batched(xp.where(converged[:, None, None], Ht, 0.0))
    index_count = xp.sum(lam < 0, axis=1)
    if kind == "minima":
        converged = converged & (index_count == 0)
    sel = xp.nonzero(converged)[0]
    s_c, E_c, i_c, g_c = sigma[sel], E[sel], index_count[sel], gnorm[sel]
    reps, counts = _merge(xp, s_c, N)
    s_c, E_c, i_c, g_c = s_c[reps], E_c[reps], i_c[reps], g_c[reps]
    order = xp.argsort(E_c)
    report(total)
    return {
        "sigma": s_c[order],
        "energy_per_site": E_c[order] / N,
        "index_count": i_c[order],
        "index": i_c[order] / (N - 1),
        "grad_norm": g_c[order],
        "counts": counts[order],
        "converged": converged,
        "n_starts": starts,
    }


def distinct_points(sigma, *, radius=MERGE_RADIUS):
    r"""Indices of representatives of ``sigma`` (M, N) after merging points closer than
    :math:`|\sigma - \sigma'|/\sqrt N <` ``radius`` (:math:`\sigma` and :math:`-\sigma` stay
    apart), and how many points each represents."""
    xp = array_namespace(sigma)
    return _merge(xp, sigma, sigma.shape[1], radius)
