r"""Extreme eigenpairs of a symmetric operator by thick-restart Lanczos, with computed
residuals: the top-k / bottom-k / both-ends eigenvalues and eigenvectors that PyHessian,
hessian-eigenthings and curvlinops users ask of a network Hessian, as precise as
``scipy.sparse.linalg.eigsh`` (ARPACK) and on the operator's own backend.

Method
------
Thick-restart Lanczos (Wu & Simon, SIAM J. Matrix Anal. Appl. 22, 602 (2000),
doi:10.1137/S0895479898334605).  A basis :math:`V` of at most ``ncv`` orthonormal columns is
grown one product at a time; each new vector is orthogonalised against the whole basis twice
(classical Gram–Schmidt with one reorthogonalisation, "twice is enough": Giraud, Langou,
Rozložník & van den Eshof, Numer. Math. 101, 87 (2005), doi:10.1007/s00211-005-0615-4), so
no ghost copies of converged Ritz values appear.  The projected matrix :math:`T = V^\top A V`
is tridiagonal except after a restart, where it is an arrowhead: the ``l`` kept Ritz values
on the diagonal, coupled to the next Lanczos vector by :math:`\beta s_{mi}` (Wu & Simon
2000).  When the basis is full, :math:`T = S\,\mathrm{diag}(\theta)\,S^\top` (host
``eigh``, small); the wanted Ritz pairs :math:`(\theta_i, y_i = V s_i)` have the residual
estimates :math:`\beta_m |s_{mi}| = \|A y_i - \theta_i y_i\|` (exact in exact arithmetic;
Parlett, *The Symmetric Eigenvalue Problem*, SIAM 1998, Sec. 13.2).  The iteration stops
when every wanted estimate is below ``tol`` times :math:`\|A\|` (estimated by the largest
:math:`|\theta|` seen); otherwise the basis restarts from the ``l`` Ritz vectors nearest
the wanted end(s) (:func:`_kept`: ARPACK's count, the ``k`` wanted plus as many as have
converged, up to half the rest of the basis) and the residual vector as its next column.

The vectors live on ``op.xp`` (NumPy or CuPy: only ``xp`` operations touch them); the
projected problem, ``(ncv, ncv)``, is solved on the host, and each step moves its
``j + 2`` orthogonalisation coefficients to the host (one transfer per product).

Results
-------
At the end the residuals are *computed*, not estimated: one block product :math:`A Y` of the
``k`` Ritz vectors gives the Rayleigh quotients :math:`\rho_i = y_i^\top A y_i` (the reported
eigenvalues) and :math:`r_i = \|A y_i - \rho_i y_i\|`.  An eigenvalue of :math:`A` lies
within :math:`r_i` of :math:`\rho_i` (Parlett, Thm. 4.5.1).  With a gap :math:`\delta_i`
between :math:`\rho_i` and every other eigenvalue, the eigenvalue nearest :math:`\rho_i` is
within :math:`r_i^2/\delta_i` (Temple, Proc. R. Soc. Lond. A 119, 276 (1928); Kato,
J. Phys. Soc. Jpn. 4, 334 (1949)).  The gap
reported here is estimated from the other Ritz values (distance minus their own residual
bounds): it is a gap of the spectrum only if no eigenvalue was missed by the Krylov space
between them (an eigenvector orthogonal to the whole basis is invisible to any Krylov
method), so ``kato_temple`` is an estimate; ``residuals`` is the rigorous bound.  Both are
statements about the computed pair; the Rayleigh quotient itself carries a rounding error of
a few :math:`\epsilon\|A\|` (measured: 1e-15 to 4e-14 against ``eigvalsh`` at
:math:`\|A\| \approx 3`, where ``kato_temple`` can be 1e-27), and in float32 the computed
residuals stop near :math:`10^{-6}\|A\|` whatever ``tol`` (the estimates, formed on the
host in float64, keep falling, so the iteration still ends).
"""
import time

import numpy as np

from .._validate import InputError
from .. import _seeds, _validate
from .._backend import to_numpy
from .dense import memory_budget
from .operators import as_operator
from .spectral import unit_probes

__all__ = ["WHICH", "eigenpairs"]

#: which end of the spectrum: largest algebraic, smallest algebraic, both ends (k/2 each,
#: one more at the top when k is odd; as ``scipy.sparse.linalg.eigsh``)
WHICH = ("LA", "SA", "BE")


def _check(k, which, tol, ncv, max_products):
    if which not in WHICH:
        raise InputError(f"which must be one of {WHICH}, got {which!r}")
    out = {"k": _validate.integer("k", k, 1), "tol": _validate.positive("tol", tol)}
    out["ncv"] = None if ncv is None else _validate.integer("ncv", ncv, 2)
    out["max_products"] = (None if max_products is None
                           else _validate.integer("max_products", max_products, 1))
    return out


def _ends(k, which):
    """(from the bottom, from the top) counts of ``k`` wanted values."""
    if which == "LA":
        return 0, k
    if which == "SA":
        return k, 0
    return k // 2, k - k // 2


def _pick(m, lo, hi):
    """Indices of the ``lo`` smallest and ``hi`` largest of ``m`` ascending values."""
    return np.concatenate([np.arange(lo), np.arange(m - hi, m)]).astype(int)


def _kept(m, k, which, nconv):
    """(bottom, top) counts of the Ritz vectors kept at a restart of a basis of ``m`` with
    ``nconv`` of the ``k`` wanted converged: ``k + min(nconv, (m - k) // 2)``, and ``m // 2``
    when that is 1 (ARPACK's rule for the number of exact shifts, ``dsaup2``: Lehoucq,
    Sorensen & Yang, *ARPACK Users' Guide*, SIAM 1998; thick restart with these Ritz
    vectors spans the same space as the implicit restart with the other Ritz values as
    exact shifts, Wu & Simon 2000).  The extra ones go to the wanted side(s)."""
    lo, hi = _ends(k, which)
    keep = k + min(nconv, (m - k) // 2)
    if keep == 1:
        keep = m // 2 if m >= 6 else min(2, m - 1)
    extra = keep - k
    if lo and hi:
        return lo + extra // 2, hi + extra - extra // 2
    return (lo + extra, 0) if lo else (0, hi + extra)


def eigenpairs(op, k=1, *, which="LA", tol=1e-10, ncv=None, max_products=None, rng=None,
               n=None, dtype=None, device=None):
    r"""The ``k`` extreme eigenpairs of a symmetric operator by thick-restart Lanczos.

    Parameters
    ----------
    op : Operator, square array, or callable
        :func:`rmtland.linalg.operators.as_operator` (a callable needs ``n``).
    k : int, 1 <= k <= n
        Number of eigenpairs.
    which : {"LA", "SA", "BE"}
        Largest, smallest, or both ends (``k // 2`` smallest and the rest largest).
    tol : float > 0
        Stop when every wanted residual estimate is at most ``tol`` times the norm estimate
        :math:`\max|\theta|` (module notes).
    ncv : int >= 2, optional
        Basis size (default ``max(2k + 1, 20)``, as ``eigsh``), clipped to ``n``; must
        exceed ``k`` unless it is ``n``.
    max_products : int >= ncv, optional
        Budget of operator products (default ``100 * n``); the final residual product of the
        ``k`` vectors is on top of it.  Unconverged pairs come back flagged, not raised.
    rng : seed (:mod:`rmtland._seeds`)
        Of the Gaussian start vector.

    Returns
    -------
    dict
        ``eigenvalues`` (host, ascending, ``(k,)``: Rayleigh quotients), ``eigenvectors``
        (``(n, k)`` on ``op.xp``, orthonormal columns), ``residuals`` (host ``(k,)``,
        computed :math:`\|A y - \rho y\|`: an eigenvalue lies within each), ``converged``
        (host bool ``(k,)``, residual estimate within ``tol``), ``gaps`` and
        ``kato_temple`` (host ``(k,)``, the estimated gap and :math:`r^2/\mathrm{gap}`,
        ``inf`` without a positive gap: module notes), ``matvecs`` (all products, the final
        ``k`` included), ``restarts``, ``ncv``, ``norm_estimate``, ``seconds``.

    Raises
    ------
    InputError
        ``k``, ``which``, ``tol``, ``ncv``, ``max_products`` out of range, or a basis that
        does not fit the memory budget (:func:`rmtland.linalg.dense.memory_budget`), before
        any product; non-finite products (naming ``op``).
    """
    o = _check(k, which, tol, ncv, max_products)
    op = as_operator(op, n=n, dtype=dtype, device=device)
    N, k = op.n, o["k"]
    if k > N:
        raise InputError(f"k must be an integer in [1, n] = [1, {N}], got {k}")
    m = min(N, o["ncv"] if o["ncv"] is not None else max(2 * k + 1, 20))
    if m <= k and m < N:
        raise InputError(f"ncv must exceed k = {k} (or be at least n = {N}), got {o['ncv']}")
    budget = o["max_products"] if o["max_products"] is not None else 100 * N
    if budget < m:
        raise InputError(f"max_products must be at least the basis size ncv = {m} (one full "
                         f"basis before the first Rayleigh-Ritz step), got {budget}")
    need = (m + 3 * k + 4) * N * op.dtype.itemsize          # basis, Y, A Y, R, work vectors
    limit = memory_budget(op.xp)[1]
    if need > limit:
        where = "the host" if op.xp is np else "the GPU"
        raise InputError(f"a basis of ncv = {m} vectors of size n = {N} (k = {k}) needs about "
                         f"{need / 2**30:.3g} GiB, more than the {limit / 2**30:.3g} GiB "
                         f"available on {where}: ncv must be in [k + 1, "
                         f"{int(limit // (N * op.dtype.itemsize)) - 3 * k - 4}] here")
    t0 = time.perf_counter()
    xp, dt = op.xp, op.dtype
    eps = float(np.finfo(dt).eps)
    gen = _seeds.generator(rng, xp)
    V = xp.zeros((N, m), dtype=dt)
    V[:, 0] = unit_probes(gen, op, 1, "gaussian")[:, 0]
    T = np.zeros((m, m))
    lo, hi = _ends(k, which)
    l, matvecs, restarts, anorm = 0, 0, 0, 0.0
    while True:
        for j in range(l, m):
            Vj = V[:, :j + 1]
            w = op.matvec(V[:, j:j + 1])[:, 0]
            matvecs += 1
            h = Vj.T @ w
            w = w - Vj @ h
            h2 = Vj.T @ w                                  # twice is enough
            w = w - Vj @ h2
            beta = xp.sqrt(xp.sum(w * w))
            hb = to_numpy(xp.concatenate([h + h2, beta[None]])).astype(float)
            if not np.all(np.isfinite(hb)):
                raise InputError("op returned non-finite values (a NaN or an infinity) in the "
                                 "Lanczos recurrence")
            T[j, j] = hb[j]
            if j == l and l > 0:                          # the arrowhead after a restart
                T[:l, l] = T[l, :l] = hb[:l]
            beta = hb[-1]
            anorm = max(anorm, abs(hb[j]) + beta, float(np.max(np.abs(hb[:j + 1]))))
            J = j + 1
            if j + 1 < m:
                v, beta = _next(w, beta, Vj, gen, op, anorm, eps)
                if v is None:                             # the whole space: T is A
                    break
                V[:, j + 1] = v
                T[j, j + 1] = T[j + 1, j] = beta
            if matvecs >= budget:
                break
        theta, S = np.linalg.eigh(T[:J, :J])
        est = np.abs(beta * S[J - 1, :])
        anorm = max(anorm, float(np.max(np.abs(theta))))
        want = _pick(J, min(lo, J), min(hi, J - min(lo, J)))
        conv = est[want] <= o["tol"] * anorm
        if np.all(conv) or matvecs >= budget or J < m or J == N:
            break
        klo, khi = _kept(J, k, which, int(np.sum(conv)))
        keep = _pick(J, klo, khi)
        l = keep.size
        V[:, :l] = V[:, :J] @ xp.asarray(S[:, keep].astype(dt))
        v, _ = _next(w, beta, V[:, :l], gen, op, anorm, eps)
        V[:, l] = v
        T[:] = 0.0
        T[np.arange(l), np.arange(l)] = theta[keep]
        restarts += 1
    Y = V[:, :J] @ xp.asarray(S[:, want].astype(dt))
    Y = Y / xp.sqrt(xp.sum(Y * Y, axis=0, keepdims=True))
    AY = op.matvec(Y)
    matvecs += Y.shape[1]
    rho = xp.sum(Y * AY, axis=0)
    R = AY - Y * rho[None, :]
    host = to_numpy(xp.stack([rho, xp.sqrt(xp.sum(R * R, axis=0))])).astype(float)
    if not np.all(np.isfinite(host)):
        raise InputError("op returned non-finite values (a NaN or an infinity) in the final "
                         "residual product")
    rho, resid = host
    order = np.argsort(rho)
    dist = np.abs(theta[None, :] - rho[:, None]) - est[None, :]     # (k, J)
    dist[np.arange(want.size), want] = np.inf                         # not itself
    gaps = (np.min(dist, axis=1) if J > 1 else np.full(want.size, np.inf)) - resid
    kt = np.where(gaps > 0, resid ** 2 / np.where(gaps > 0, gaps, 1.0), np.inf)
    return {"eigenvalues": rho[order], "eigenvectors": Y[:, xp.asarray(order)],
            "residuals": resid[order], "converged": conv[order],
            "gaps": gaps[order], "kato_temple": kt[order], "matvecs": int(matvecs),
            "restarts": restarts, "ncv": m, "norm_estimate": anorm,
            "seconds": time.perf_counter() - t0}


def _next(w, beta, V, gen, op, anorm, eps):
    """The next basis vector ``w / beta``; after a breakdown (``beta`` at rounding level: the
    Krylov space is invariant) a random vector orthogonal to ``V`` with coupling 0, or
    ``(None, 0)`` when ``V`` already spans the whole space."""
    if beta > 10 * eps * max(anorm, np.finfo(float).tiny):
        return w / beta, beta
    xp = op.xp
    if V.shape[1] >= op.n:
        return None, 0.0
    z = unit_probes(gen, op, 1, "gaussian")[:, 0]
    for _ in range(2):
        z = z - V @ (V.T @ z)
    return z / xp.sqrt(xp.sum(z * z)), 0.0
