r"""Derivations for the Pennington–Bahri Hessian (PB17: Pennington & Bahri, ICML 2017).

From the R-transforms alone, :math:`R_{MP}(g) = 1/(1-\varphi g)`, :math:`R_{SC}(g) = 2\varepsilon g`
(DESIGN.md), sympy derives the cubic for :math:`G`, the critical loss
:math:`\varepsilon_c(\varphi)` from the discriminant at :math:`z = 0`, the coefficient
:math:`\alpha_0(\varphi)` of the 3/2 law from the edge expansion, and the first four moments;
each result is checked against the numerics of :mod:`rmtland.analytic.hessian`, which never
call sympy.

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix Theory", Proc.
34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
https://proceedings.mlr.press/v70/pennington17a.html. Eq. (12) (the cubic), Eq. (16) (the critical
loss), Eq. (17) (the 3/2 law).
D. Voiculescu, "Addition of certain non-commuting random variables", J. Funct. Anal. 66(3), 323–346
(1986). The R-transform; R-transforms of free summands add.
J. A. Mingo, R. Speicher, "Free Probability and Random Matrices", Fields Institute Monographs 35,
Springer, New York (2017), doi:10.1007/978-1-4939-6942-5. R-transform and moments.
A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103 (2017),
doi:10.7717/peerj-cs.103. The symbolic derivations.
"""
import math

import numpy as np

from .core import Check, Derivation

PHIS = (0.1, 0.25, 0.5, 0.75, 0.9)


def _symbols():
    import sympy as sp
    phi, t = sp.symbols("phi t", positive=True)
    eps, G, z = sp.symbols("epsilon G z")
    return sp, phi, eps, G, z, t


def cubic_from_r_transforms():
    r"""sympy: numerator of :math:`R_{MP}(G) + R_{SC}(G) + 1/G - z`, sign fixed so that the
    :math:`G^3` coefficient is :math:`+2\varepsilon\varphi` (DESIGN.md).

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Eq. (12).
    .. [2] D. Voiculescu, "Addition of certain non-commuting random variables", J. Funct. Anal.
       66(3), 323–346 (1986). R-transforms of free summands add.
    .. [3] A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103
       (2017), doi:10.7717/peerj-cs.103. Symbolic elimination.
    """
    sp, phi, eps, G, z, _ = _symbols()
    K = 1 / (1 - phi * G) + 2 * eps * G + 1 / G
    P = sp.expand(sp.numer(sp.together(K - z)))
    lead = sp.Poly(P, G).LC()
    return sp.expand(P * sp.sign(lead.subs({phi: 1, eps: 1}))), (sp, phi, eps, G, z)


def derive_cubic():
    """The cubic of DESIGN.md from the R-transforms; its roots are the library's G.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Eq. (12).
    .. [2] A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103
       (2017), doi:10.7717/peerj-cs.103. Symbolic derivation.
    """
    P, (sp, phi, eps, G, z) = cubic_from_r_transforms()
    design = 2 * eps * phi * G ** 3 - (2 * eps + z * phi) * G ** 2 + (z + phi - 1) * G - 1
    diff = sp.simplify(P - design)
    checks = [Check("cubic - DESIGN.md cubic (symbolic)", float(diff == 0), 1.0, 0.0)]
    from ..analytic.hessian import PenningtonBahri
    f = sp.lambdify((G, z, phi, eps), P, "numpy")
    zz = np.array([-1 + 0.3j, 0.2 + 0.05j, 1.5 + 1e-3j, 3 + 2j])
    for phi_v, e in [(0.5, 0.1), (3.0, 0.01), (1.0, 1.0)]:
        Gz = PenningtonBahri(phi_v, e).stieltjes(zz)
        checks.append(Check(f"|P(G(z), z)| of the library's G, phi={phi_v}, eps={e}",
                            float(np.max(np.abs(f(Gz, zz, phi_v, e)))), 0.0, 1e-12))
    # the support edges (root finding on K') are roots of the discriminant of P in G
    disc = sp.lambdify((z, phi, eps), sp.discriminant(P, G), "numpy")
    for phi_v, e in [(0.5, 0.1), (3.0, 0.01), (0.25, 0.02)]:
        law = PenningtonBahri(phi_v, e)
        edges = np.array([x for iv in law.support() for x in iv])
        # relative to the discriminant's size at the edge's scale: |D(x)| / |D(x + 1e-3 |x|)|
        rel = np.abs(disc(edges, phi_v, e)) / np.abs(disc(edges + 1e-3 * (1 + np.abs(edges)), phi_v, e))
        checks.append(Check(f"discriminant at the library's edges (relative), phi={phi_v}, eps={e}",
                            float(rel.max()), 0.0, 1e-9))
    return Derivation("Cubic for G from R_MP + R_SC (PB17 Eq. 12)", {"P(G, z)": P}, checks)


def eps_c_closed_form():
    r"""sympy expression of the critical loss (PB17 Eq. (16)),
    :math:`\varepsilon_c(\varphi) = (1 - 20\varphi - 8\varphi^2 + (1+8\varphi)^{3/2})/16`.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Eq. (16).
    .. [2] A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103
       (2017), doi:10.7717/peerj-cs.103. The expression is a sympy expression.
    """
    sp, phi, *_ = _symbols()
    return (1 - 20 * phi - 8 * phi ** 2 + (1 + 8 * phi) ** sp.Rational(3, 2)) / 16


def derive_eps_c():
    r""":math:`\varepsilon_c(\varphi)`: the left edge of the support reaches 0, i.e. the cubic
    has a double root at :math:`z = 0`; solve the discriminant there for :math:`\varepsilon`.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Eq. (16).
    .. [2] A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103
       (2017), doi:10.7717/peerj-cs.103. Discriminant and solve.
    """
    P, (sp, phi, eps, G, z) = cubic_from_r_transforms()
    disc0 = sp.factor(sp.discriminant(P, G).subs(z, 0))
    sols = sp.solve(disc0, eps)
    closed = eps_c_closed_form()
    matches = [s for s in sols if sp.simplify(s - closed) == 0]
    checks = [Check("discriminant root = (1-20phi-8phi^2+(1+8phi)^(3/2))/16 (symbolic)",
                    float(len(matches) == 1), 1.0, 0.0)]
    from ..analytic.hessian import PenningtonBahri, eps_c
    for phi_v in PHIS:
        ec = float(sp.N(closed.subs(phi, sp.Rational(str(phi_v))), 30))  # 30 digits: no cancellation
        checks.append(Check(f"library eps_c({phi_v}) vs sympy closed form", eps_c(phi_v), ec, 1e-14,
                            relative=True))
        # independent numerics: the library's left edge (root finding on K') vanishes at eps_c
        checks.append(Check(f"left support edge at eps_c, phi={phi_v}",
                            PenningtonBahri(phi_v, ec).support()[0][0], 0.0, 1e-12))
    return Derivation("Critical loss eps_c(phi) from the discriminant at z = 0 (PB17 Eq. 16)",
                      {"discriminant(z=0)": disc0, "eps_c": closed}, checks)


def derive_alpha0():
    r"""Coefficient :math:`\alpha_0(\varphi)` of the 3/2 law.

    At :math:`\varepsilon_c` the left edge :math:`x_- = K(g_c) = 0` with :math:`K'(g_c) = 0`.
    Near the edge :math:`z - x_- \approx K''(g_c)(G - g_c)^2/2`, so
    :math:`\rho(x) \approx \pi^{-1}\sqrt{2/|K''|}\sqrt{x - x_-}`; the edge moves as
    :math:`dx_-/d\varepsilon = \partial_\varepsilon K = 2g_c`.  Hence
    :math:`\alpha \approx \tfrac23 \pi^{-1}\sqrt{2/|K''|}\,(2|g_c|\varepsilon_c\,\delta)^{3/2}`,
    :math:`\delta = (\varepsilon-\varepsilon_c)/\varepsilon_c`.  Worked in
    :math:`t = \sqrt{1 + 8\varphi} \in (1, 3)`.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Eq. (17).
    .. [2] A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103
       (2017), doi:10.7717/peerj-cs.103. Symbolic derivation.
    """
    sp, phi, eps, G, z, t = _symbols()
    K = 1 / (1 - phi * G) + 2 * eps * G + 1 / G
    eps_of_g = sp.solve(sp.diff(K, G), eps)[0]             # K'(g) = 0
    eq = sp.factor(sp.numer(sp.together(K.subs(eps, eps_of_g))))   # and K(g) = 0
    roots = sp.solve(eq, G)
    phi_t = (t ** 2 - 1) / 8
    cands = [sp.factor(sp.simplify(r.subs(phi, phi_t))) for r in roots]
    # the physical critical point is the negative one (left edge, G < 0 left of the support)
    gc = [c for c in cands if c.subs(t, 2) < 0 and c.subs(t, sp.Rational(3, 2)) < 0][0]
    ec = sp.factor(sp.simplify(eps_of_g.subs(phi, phi_t).subs(G, gc)))
    Kpp = sp.factor(sp.simplify(sp.diff(K, G, 2).subs(eps, eps_of_g).subs(phi, phi_t).subs(G, gc)))
    a0 = sp.Rational(2, 3) / sp.pi * sp.sqrt(2 / (-Kpp)) * (2 * (-gc) * ec) ** sp.Rational(3, 2)
    closed = 2 * (3 - t) / (3 * sp.pi * sp.sqrt(t) * (1 + t))
    ratio_sq = sp.simplify(sp.expand((a0 / closed) ** 2))
    checks = [Check("(alpha0 derived / 2(3-t)/(3 pi sqrt(t)(1+t)))^2 (symbolic)",
                    float(ratio_sq), 1.0, 1e-15),
                  Check("eps_c in t equals the closed form (symbolic)",
                    float(sp.simplify(ec - eps_c_closed_form().subs(phi, phi_t)) == 0), 1.0, 0.0)]
    from ..analytic.hessian import PenningtonBahri, alpha0, eps_c
    for phi_v in PHIS:
        tv = math.sqrt(1 + 8 * phi_v)
        checks.append(Check(f"derived alpha0({phi_v}) vs the library's closed form",
                            float(a0.subs(t, tv)), alpha0(phi_v), 1e-13, relative=True))
        # independent numerics: the exact index just above eps_c, Richardson-extrapolated
        ec_v = eps_c(phi_v)
        d = np.array([4e-4, 2e-4, 1e-4])
        r = np.array([PenningtonBahri(phi_v, ec_v * (1 + di)).index() / di ** 1.5 for di in d])
        extrap = 2 * r[2] - r[1]          # ratio = alpha0 (1 + c delta + ...)
        checks.append(Check(f"alpha(eps_c(1+d))/d^1.5 -> alpha0, phi={phi_v}", extrap, alpha0(phi_v),
                            1e-5, relative=True))
    return Derivation("3/2 law coefficient alpha0(phi) from the edge expansion (PB17 Eq. 17)",
                      {"g_c(t)": gc, "eps_c(t)": ec, "K''(g_c)(t)": Kpp,
                       "alpha0(t) = (2/3pi) sqrt(2/|K''|) (2|g_c| eps_c)^(3/2)": closed}, checks)


def derive_moments(k=4):
    r"""First ``k`` moments of :math:`H` by series inversion of :math:`zG = 1 + G\,R(G)`,
    :math:`G = \sum_j m_j z^{-j-1}` (R-transform only; no cumulant formula used).

    References
    ----------
    .. [1] D. Voiculescu, "Addition of certain non-commuting random variables", J. Funct. Anal.
       66(3), 323–346 (1986). The R-transform: z G = 1 + G R(G).
    .. [2] J. A. Mingo, R. Speicher, "Free Probability and Random Matrices", Fields Institute
       Monographs 35, Springer, New York (2017), doi:10.1007/978-1-4939-6942-5. R-transform and
       moments.
    .. [3] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Sec. 3 (the model).
    .. [4] A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103
       (2017), doi:10.7717/peerj-cs.103. Series inversion.
    """
    sp, phi, eps, G, z, _ = _symbols()
    w = sp.Symbol("w")                                     # w = 1/z
    m = sp.symbols(f"m1:{k + 1}")
    Gs = w * (1 + sum(m[j] * w ** (j + 1) for j in range(k)))
    R = 1 / (1 - phi * G) + 2 * eps * G
    eq = sp.series(Gs / w - 1 - Gs * R.subs(G, Gs), w, 0, k + 1).removeO()
    sol = {}
    for j in range(1, k + 1):
        cj = sp.expand(eq.coeff(w, j).subs(sol))
        sol[m[j - 1]] = sp.expand(sp.solve(cj, m[j - 1])[0])
    moments = [sol[mj] for mj in m]
    from ..analytic.hessian import PenningtonBahri
    checks = []
    for phi_v, e in [(0.5, 0.1), (2.0, 0.3), (1.0, 0.02)]:
        law = PenningtonBahri(phi_v, e)
        lib = law.moments(k)
        for j, mj in enumerate(moments, start=1):
            exact = float(mj.subs({phi: phi_v, eps: e}))
            checks.append(Check(f"m{j} library (free cumulants) vs series, phi={phi_v}, eps={e}",
                                float(lib[j - 1]), exact, 1e-13, relative=True))
            quad = law.integrate(lambda x, j=j: x ** j)
            checks.append(Check(f"m{j} quadrature of the density vs series, phi={phi_v}, eps={e}",
                                quad, exact, 1e-10, relative=True))
    return Derivation("Moments of H = H0 + H1 from the R-transform",
                      {f"m{j}": mj for j, mj in enumerate(moments, start=1)}, checks)
