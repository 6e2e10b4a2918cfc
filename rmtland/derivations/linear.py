r"""Derivations for linear networks: Baldi & Hornik's critical points and Kawaguchi's saddle
without negative curvature, checked against :mod:`rmtland.analytic.linear`.

sympy solves the scalar networks exactly (d = k = p = 1: the critical set, its losses and
Hessians; depth 3: the loss is flat to second order at the origin and falls like
:math:`-\sigma_{xy}t^3`) and differentiates the matrix loss symbolically, to check the
library's Kronecker-product Hessians. The numerical checks use one fixed, deterministic data
set (:func:`fixed_data`, no random numbers): every Baldi–Hornik critical point has a zero
gradient (closed form, and central differences of the loss), its loss equals the closed form
and the loss computed from the data, the global minimum has no negative eigenvalue and exactly
p² zero modes, every other point has a negative eigenvalue (the only local minimum is global),
and the exact Hessian equals central differences of the closed-form gradient.

Central differences along one coordinate are exact here, up to rounding: moving one entry of
one weight matrix moves W = W_H⋯W_1 affinely, so the loss is a quadratic and each gradient
entry at most a quadratic polynomial in the step, for which the central difference has no
truncation error. Hence the large step h = 1e-2 and only rounding (~1e-14) remains.

References
----------
P. Baldi, K. Hornik, "Neural networks and principal component analysis: Learning from examples
without local minima", Neural Networks 2(1), 53–58 (1989), doi:10.1016/0893-6080(89)90014-2. The
critical points of the two-layer linear network.
K. Kawaguchi, "Deep Learning without Poor Local Minima", Advances in Neural Information Processing
Systems 29 (NeurIPS 2016), 586–594, arXiv:1605.07110. Saddles without negative curvature at depth
H ≥ 3 (Thm. 2.3, Cor. 2.4).
A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103 (2017),
doi:10.7717/peerj-cs.103. The symbolic derivations.
"""
import math

import numpy as np

from .core import Check, Derivation

#: sizes of the fixed data set: samples, inputs, outputs, hidden units
M, D, K, P = 12, 5, 4, 2
#: central-difference step (exact for these polynomials up to rounding; module notes)
STEP = 1e-2


def fixed_data():
    r"""The deterministic data of the checks: ``X[i, j] = sin(0.9 + 1.7 i + 0.55 j + 0.31 i j)``
    (M × D), ``Y = X A + 0.5 cos(0.4 + 1.1 i + 2.3 o)`` with
    ``A[j, o] = cos(0.3 + 1.3 j (o + 1)^1.5)`` (M × K). Returns ``(X, Y)``. Its
    :math:`\Sigma` has the well separated eigenvalues 2.93, 1.19, 0.521, 0.310."""
    i = np.arange(M)[:, None]
    j = np.arange(D)[None, :]
    X = np.sin(0.9 + 1.7 * i + 0.55 * j + 0.31 * i * j)
    o = np.arange(K)[None, :]
    A = np.cos(0.3 + 1.3 * np.arange(D)[:, None] * (o + 1) ** 1.5)
    Y = X @ A + 0.5 * np.cos(0.4 + 1.1 * i + 2.3 * o)
    return X, Y


def _fd(fun, theta, h=STEP):
    """Central differences of ``fun`` (scalar or vector valued) along each coordinate; the
    columns of the result are the derivatives (a vector for scalar ``fun``)."""
    cols = []
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        cols.append((np.asarray(fun(theta + e)) - np.asarray(fun(theta - e))) / (2 * h))
    return np.array(cols).T


def derive_scalar_networks():
    r"""sympy, d = k = p = 1: :math:`L(a, b) = \tfrac12(s_{yy} - 2ab\,s_{xy} + a^2b^2s_{xx})`.
    The critical set is the origin and the hyperbola :math:`ab = s_{xy}/s_{xx}`, with losses
    :math:`s_{yy}/2` and :math:`(s_{yy} - \lambda)/2`, :math:`\lambda = s_{xy}^2/s_{xx}` (BH89
    with k = 1); the Hessian at the origin has eigenvalues :math:`\pm s_{xy}` (a strict saddle),
    on the hyperbola one zero (the GL(1) mode, p² = 1) and one positive eigenvalue. Depth 3,
    :math:`L(a,b,c) = \tfrac12(s_{yy} - 2abc\,s_{xy} + a^2b^2c^2s_{xx})`: gradient and Hessian
    vanish at the origin and :math:`\partial_a\partial_b\partial_c L = -s_{xy}`.

    References
    ----------
    .. [1] P. Baldi, K. Hornik, "Neural networks and principal component analysis: Learning from
       examples without local minima", Neural Networks 2(1), 53–58 (1989),
       doi:10.1016/0893-6080(89)90014-2.
    .. [2] K. Kawaguchi, "Deep Learning without Poor Local Minima", NeurIPS 2016, 586–594,
       arXiv:1605.07110. Cor. 2.4.
    .. [3] A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103
       (2017), doi:10.7717/peerj-cs.103.
    """
    import sympy as sp
    a, b, c = sp.symbols("a b c", real=True)
    sxx, sxy, syy = sp.symbols("s_xx s_xy s_yy", positive=True)
    L2 = (syy - 2 * a * b * sxy + a ** 2 * b ** 2 * sxx) / 2
    grad = [sp.diff(L2, v) for v in (a, b)]
    # on the hyperbola's branch a = s > 0, b = sxy/(sxx s) (the other branch is its mirror)
    s = sp.Symbol("s", positive=True)
    hyper = {a: s, b: sxy / (sxx * s)}
    on_hyper = [sp.simplify(g.subs(hyper)) for g in grad]
    loss_min = sp.simplify(L2.subs(hyper))
    lam = sxy ** 2 / sxx
    H2 = sp.hessian(L2, (a, b))
    H0 = H2.subs({a: 0, b: 0})
    Hh = sp.simplify(H2.subs(hyper))
    # every critical point: solve grad = 0 (a b (a b sxx - sxy) = 0 structure)
    sols = sp.solve(grad, [a, b], dict=True)
    crit_ok = all(sp.simplify(sol.get(a, a) * sol.get(b, b)) in (0, sxy / sxx) for sol in sols)
    L3 = (syy - 2 * a * b * c * sxy + a ** 2 * b ** 2 * c ** 2 * sxx) / 2
    zero3 = {a: 0, b: 0, c: 0}
    H3 = sp.hessian(L3, (a, b, c)).subs(zero3)
    g3 = [sp.diff(L3, v).subs(zero3) for v in (a, b, c)]
    d3 = sp.diff(L3, a, b, c).subs(zero3)
    t = sp.Symbol("t", positive=True)
    along = sp.expand(L3.subs({a: t, b: t, c: t}) - L3.subs(zero3))
    flag = lambda ok: float(bool(ok))
    checks = [
        Check("gradient vanishes on the hyperbola ab = sxy/sxx (symbolic)",
              flag(all(g == 0 for g in on_hyper)), 1.0, 0.0),
        Check("every solution of grad = 0 has ab in {0, sxy/sxx} (symbolic)",
              flag(crit_ok and len(sols) > 0), 1.0, 0.0),
        Check("loss on the hyperbola = (syy - sxy^2/sxx)/2 (symbolic)",
              flag(sp.simplify(loss_min - (syy - lam) / 2) == 0), 1.0, 0.0),
        Check("Hessian at the origin has eigenvalues +-sxy (symbolic)",
              flag(set(H0.eigenvals()) == {sxy, -sxy}), 1.0, 0.0),
        Check("Hessian on the hyperbola: det = 0, trace > 0 (one zero mode; symbolic)",
              flag(sp.simplify(Hh.det()) == 0 and sp.simplify(Hh.trace()).is_positive),
              1.0, 0.0),
        Check("depth 3: gradient and Hessian at the origin are 0 (symbolic)",
              flag(all(g == 0 for g in g3) and H3 == sp.zeros(3, 3)), 1.0, 0.0),
        Check("depth 3: L(t,t,t) - L(0) = -sxy t^3 + sxx t^6/2 (symbolic)",
              flag(sp.simplify(along - (-sxy * t ** 3 + sxx * t ** 6 / 2)) == 0
                   and d3 == -sxy), 1.0, 0.0),
    ]
    return Derivation("Scalar linear networks: critical set, losses, Hessians (BH89; Kawaguchi "
                      "2016)", {"L(a, b)": L2, "L at ab = sxy/sxx": loss_min,
                                "Hessian at 0": H0, "L(a, b, c)": L3,
                                "L(t, t, t) - L(0)": along}, checks)


def _taylor_hessian(shapes, Sxx, Sxy, Syy, point, k):
    r"""Hessian of the matrix loss (module conventions of :mod:`rmtland.analytic.linear`) at
    ``point`` by sympy polynomial arithmetic: expand :math:`L(\theta_0 + \delta)` in the
    symbols :math:`\delta` (a sparse polynomial ring over the reals, truncated after each
    product at total degree 2) and read the Hessian off the quadratic part,
    :math:`H_{ij} = \partial^2 L/\partial\delta_i\partial\delta_j` (the coefficient of
    :math:`\delta_i\delta_j`, doubled on the diagonal). Independent of the Kronecker formulas;
    parameters in the column-stacked order."""
    import sympy as sp
    names = [f"d{n}_{i}_{j}" for n, (r, c) in enumerate(shapes)
             for j in range(c) for i in range(r)]                 # column-major vec
    ring, *gens = sp.ring(names, sp.RR)

    def trunc(q):
        return ring({mono: v for mono, v in q.items() if sum(mono) <= 2})

    def mul(A, B):
        return [[trunc(sum((A[i][l] * B[l][j] for l in range(len(B))), ring(0)))
                 for j in range(len(B[0]))] for i in range(len(A))]

    mats, off = [], 0
    for (r, c), x in zip(shapes, point):
        mats.append([[gens[off + j * r + i] + float(x[i, j]) for j in range(c)]
                     for i in range(r)])
        off += r * c
    W = mats[0]
    for A in mats[1:]:
        W = mul(A, W)
    WS = mul(W, [[ring(float(v)) for v in row] for row in Sxx])
    L = ring(float(np.trace(Syy)))
    for i in range(len(W)):
        for j in range(len(W[0])):
            L += -2 * float(Sxy[j, i]) * W[i][j] + trunc(WS[i][j] * W[i][j])
    H = np.zeros((off, off))
    for mono, v in trunc(L).items():
        if sum(mono) == 2:
            i, j = [n for n, e in enumerate(mono) for _ in range(e)]
            H[i, j] = H[j, i] = float(v) * (2 if i == j else 1) / (2 * k)
    return H


def derive_baldi_hornik():
    r"""Baldi & Hornik on the fixed data (M = 12 samples, d = 5, k = 4, p = 2): the enumerated
    critical points, their gradients, losses and Hessian inertias; the Kronecker Hessian
    against sympy and against central differences.

    References
    ----------
    .. [1] P. Baldi, K. Hornik, "Neural networks and principal component analysis: Learning from
       examples without local minima", Neural Networks 2(1), 53–58 (1989),
       doi:10.1016/0893-6080(89)90014-2.
    .. [2] A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103
       (2017), doi:10.7717/peerj-cs.103. Symbolic Hessian of the matrix loss.
    """
    import sympy as sp
    from ..analytic import linear as lin
    X, Y = fixed_data()
    Sxx, Sxy, Syy = lin.covariances(X, Y)
    pts = lin.baldi_hornik_critical_points(Sxx, Sxy, Syy, P)
    shapes = [(P, D), (K, P)]

    def loss(theta):
        return lin.deep_linear_loss(lin.unflatten(theta, shapes), Sxx, Sxy, Syy)

    def grad(theta):
        return lin.flatten(lin.deep_linear_gradient(lin.unflatten(theta, shapes), Sxx, Sxy, Syy))

    g_closed, g_fd, loss_err, hess_err, negatives = [], [], [], [], []
    glob = None
    for pt in pts:
        Ws = [pt["W1"], pt["W2"]]
        theta = lin.flatten(Ws)
        g_closed.append(lin.relative_gradient_norm(Ws, Sxx, Sxy, Syy))
        g_fd.append(lin.relative_gradient_norm(Ws, Sxx, Sxy, Syy, gradient=_fd(loss, theta)))
        direct = np.sum((X @ pt["W"].T - Y) ** 2) / (2 * K * M)       # from the data
        loss_err.append(abs(direct - pt["loss"]) / abs(pt["loss"]))
        H = lin.linear_network_hessian(pt["W1"], pt["W2"], Sxx, Sxy, Syy)
        hess_err.append(np.max(np.abs(H - _fd(grad, theta))) / np.max(np.abs(H)))
        inertia = lin.index_with_zero_modes(H)
        if pt["global_minimum"]:
            glob = (inertia, H)
        else:
            negatives.append(inertia.negative)
    lam = np.linalg.eigvalsh(glob[1])
    gap = np.sort(np.abs(lam))[P * P] / np.max(np.abs(lam))   # smallest non-zero mode
    # a generic (non-critical) point, and sympy's Hessians (two and three layers)
    W1g = np.cos(1 + np.arange(P * D)).reshape(P, D)
    W2g = np.sin(2 + np.arange(K * P)).reshape(K, P)
    Hg = lin.linear_network_hessian(W1g, W2g, Sxx, Sxy, Syy)
    fd_generic = np.max(np.abs(Hg - _fd(grad, lin.flatten([W1g, W2g])))) / np.max(np.abs(Hg))
    sym2 = _taylor_hessian(shapes, Sxx, Sxy, Syy, [W1g, W2g], K)
    shapes3 = [(3, D), (2, 3), (K, 2)]
    Ws3 = [np.cos(np.arange(r * c) * 0.7 + n).reshape(r, c) for n, (r, c) in enumerate(shapes3)]
    sym3 = _taylor_hessian(shapes3, Sxx, Sxy, Syy, Ws3, K)
    H3 = lin.deep_linear_hessian(Ws3, Sxx, Sxy, Syy)
    count = sum(math.comb(K, r) for r in range(P + 1))
    checks = [
        Check(f"number of enumerated critical points = sum_(r<=p) C(k, r), k={K}, p={P}",
              float(len(pts)), float(count), 0.0),
        Check("max relative gradient (closed form) over the critical points",
              max(g_closed), 0.0, 1e-12),
        Check("max relative gradient (central differences of the loss) over the points",
              max(g_fd), 0.0, 1e-12),
        Check("max relative |loss from the data - (tr Syy - sum lambda_I)/2k| over the points",
              max(loss_err), 0.0, 1e-12),
        Check("global minimum: negative Hessian eigenvalues", float(glob[0].negative), 0.0, 0.0),
        Check(f"global minimum: zero modes = p^2 = {P * P}", float(glob[0].zero),
              float(P * P), 0.0),
        Check("global minimum: smallest non-zero |eigenvalue| / max (>> the 1e-8 snapping)",
              float(gap > 1e-6), 1.0, 0.0),
        Check(f"every other critical point ({len(negatives)}) has a negative eigenvalue "
              f"(the only local minimum is global)", float(min(negatives) >= 1), 1.0, 0.0),
        Check("max relative |exact Hessian - central differences of the gradient|, critical "
              "points", max(hess_err), 0.0, 1e-6),
        Check("relative |exact Hessian - central differences|, a generic point", fd_generic,
              0.0, 1e-6),
        Check("relative |Kronecker Hessian - sympy Taylor Hessian|, two layers",
              float(np.max(np.abs(Hg - sym2)) / np.max(np.abs(sym2))), 0.0, 1e-12),
        Check("relative |deep Kronecker Hessian - sympy Taylor Hessian|, three layers (3, 2)",
              float(np.max(np.abs(H3 - sym3)) / np.max(np.abs(sym3))), 0.0, 1e-12),
    ]
    i = sp.Symbol("i")
    lam_s = sp.IndexedBase("lambda")
    return Derivation(
        "Baldi-Hornik critical points of the two-layer linear network (BH89)",
        {"L_I": (sp.Symbol("tr_Syy") - sp.Sum(lam_s[i], (i, 1, sp.Symbol("|I|")))) / (2 * K),
         "Sigma eigenvalues (fixed data)": sp.Matrix(
             np.round(lin.baldi_hornik_sigma(Sxx, Sxy)[0], 12).tolist())},
        checks)


def derive_degenerate_saddle():
    r"""Kawaguchi's saddle at depth 3 on the fixed data: the origin has zero gradient and zero
    Hessian, and along the escape direction the loss falls like :math:`t^3`; the log-log slope
    over :math:`t \in [10^{-3}, 10^{-2}]` is 3 (tolerance 0.1), and
    :math:`(L(tv) - L(0))/t^3 \to -a`.

    References
    ----------
    .. [1] K. Kawaguchi, "Deep Learning without Poor Local Minima", NeurIPS 2016, 586–594,
       arXiv:1605.07110. Thm. 2.3 and Cor. 2.4.
    """
    import sympy as sp
    from ..analytic import linear as lin
    X, Y = fixed_data()
    Sxx, Sxy, Syy = lin.covariances(X, Y)
    res = lin.deep_linear_degenerate_saddle(Sxx, Sxy, Syy, (3, 2))
    ts = np.geomspace(1e-3, 1e-2, 9)
    drop = np.array([lin.deep_linear_loss([t * V for V in res["direction"]], Sxx, Sxy, Syy)
                     - res["loss"] for t in ts])
    slope = float(np.polyfit(np.log(ts), np.log(-drop), 1)[0]) if np.all(drop < 0) else math.nan
    coef = float(drop[0] / ts[0] ** 3)
    checks = [
        Check("depth 3, origin: max |gradient|", float(np.max(np.abs(res["gradient"]))), 0.0, 0.0),
        Check("depth 3, origin: max |Hessian eigenvalue| (no negative one)",
              float(np.max(np.abs(res["hessian_eigenvalues"]))), 0.0, 0.0),
        Check("depth 3: L(tv) - L(0) < 0 for every t in [1e-3, 1e-2] (a saddle)",
              float(np.all(drop < 0)), 1.0, 0.0),
        Check("depth 3: log-log slope of L(0) - L(tv) over t in [1e-3, 1e-2]", slope, 3.0, 0.1),
        Check("depth 3: (L(tv) - L(0))/t^3 at t = 1e-3 vs -a (relative)", coef, -res["a"], 1e-5,
              relative=True),
    ]
    t, a, b = sp.symbols("t a b", positive=True)
    return Derivation("Saddle without negative curvature at depth 3 (Kawaguchi 2016)",
                      {"L(tv) - L(0)": -a * t ** 3 + b * t ** 6,
                       "a (fixed data)": sp.Float(res["a"], 15),
                       "b (fixed data)": sp.Float(res["b"], 15)}, checks)
