r"""Derivations for the spherical p-spin spin glass (ABC13: Auffinger, Ben Arous & Černý, CPAM
2013).  sympy derives :math:`E_\infty` from the edge of the shifted semicircle, the continuity
of :math:`\Theta_{k,p}` at :math:`-E_\infty`, and the rate at which :math:`E_k \to E_\infty`;
each is checked against :mod:`rmtland.analytic.spinglass`.

References
----------
A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses", Comm. Pure
Appl. Math. 66(2), 165–201 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129. Eq. (2.12) (E_inf),
Thm. 2.5 (Theta_k,p), Eq. (2.13) (E_k).
A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103 (2017),
doi:10.7717/peerj-cs.103. The symbolic derivations.
"""
import math

import numpy as np

from .core import Check, Derivation

PS = (3, 4, 5)


def derive_E_inf():
    r""":math:`E_\infty`: the Hessian at energy :math:`u` is :math:`\sqrt{p(p-1)}\,s - pu`,
    :math:`s` semicircular on :math:`[-2, 2]`; all its eigenvalues are positive (minima only)
    below the energy where the lower edge :math:`-2\sqrt{p(p-1)} - pu` reaches 0.

    References
    ----------
    .. [1] A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses",
       Comm. Pure Appl. Math. 66(2), 165–201 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129.
       Eq. (2.12).
    .. [2] A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103
       (2017), doi:10.7717/peerj-cs.103. Symbolic solve.
    """
    import sympy as sp
    p, u = sp.symbols("p u", positive=True)
    sol = sp.solve(sp.Eq(-2 * sp.sqrt(p * (p - 1)) - p * (-u), 0), u)   # u = -E: solve for E
    E = sp.simplify(sol[0])
    closed = 2 * sp.sqrt((p - 1) / p)
    from ..analytic.spinglass import E_inf
    checks = [Check("edge root - 2 sqrt((p-1)/p) (symbolic)",
                    float(sp.simplify(E - closed) == 0), 1.0, 0.0)]
    for pv in PS:
        checks.append(Check(f"library E_inf({pv}) vs sympy", E_inf(pv),
                            float(sp.N(closed.subs(p, pv), 30)), 1e-15, relative=True))
    return Derivation("E_inf from the edge of the shifted semicircle (ABC13 Eq. 2.12)",
                      {"E_inf": E}, checks)


def _sym_theta():
    import sympy as sp
    p, E, x = sp.symbols("p E x", positive=True)
    k = sp.Symbol("k", nonnegative=True, integer=True)
    u = -x                                        # x = -u > E_inf
    Einf = 2 * sp.sqrt((p - 1) / p)
    I1 = -u / Einf ** 2 * sp.sqrt(u ** 2 - Einf ** 2) - sp.log(-u + sp.sqrt(u ** 2 - Einf ** 2)) \
        + sp.log(Einf)
    theta = sp.log(p - 1) / 2 - (p - 2) / (4 * (p - 1)) * u ** 2 - (k + 1) * I1
    return sp, p, k, x, Einf, I1, theta


def derive_continuity():
    r""":math:`\Theta_{k,p}` is continuous at :math:`-E_\infty`: the limit of the branch below
    equals the constant :math:`\tfrac12\log(p-1) - (p-2)/p` above.

    References
    ----------
    .. [1] A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses",
       Comm. Pure Appl. Math. 66(2), 165–201 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129.
       Thm. 2.5.
    .. [2] A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103
       (2017), doi:10.7717/peerj-cs.103. Symbolic limit.
    """
    sp, p, k, x, Einf, I1, theta = _sym_theta()
    checks = []
    from ..analytic.spinglass import complexity_index, E_inf
    for pv in PS:
        lim = sp.limit(theta.subs(p, pv), x, Einf.subs(p, pv), "+")
        above = sp.log(pv - 1) / 2 - sp.Rational(pv - 2, pv)
        checks.append(Check(f"lim Theta_k,{pv}(u -> -E_inf-) - value above (symbolic)",
                            float(sp.simplify(lim - above) == 0), 1.0, 0.0))
        e = E_inf(pv)
        at = float(complexity_index(np.array([-e]), pv, 3)[0])          # branch below
        checks.append(Check(f"library Theta_3,{pv}(-E_inf) vs the constant above", at,
                            float(above), 1e-15))
    return Derivation("Continuity of Theta_{k,p} at -E_inf (ABC13 Thm. 2.5)",
                      {"Theta_{k,p}(u), u = -x < -E_inf": theta}, checks)


def derive_E_k_limit():
    r""":math:`E_k \to E_\infty` as :math:`k \to \infty`: near the edge,
    :math:`I_1(-E_\infty - t) = c\,t^{3/2} + O(t^{5/2})` (sympy series), so
    :math:`\Theta_{k,p}(-E_k) = 0` gives :math:`E_k - E_\infty \approx
    (\Theta_\infty/((k+1)c))^{2/3} \to 0`, :math:`\Theta_\infty = \tfrac12\log(p-1) - (p-2)/p`.

    References
    ----------
    .. [1] A. Auffinger, G. Ben Arous, J. Černý, "Random matrices and complexity of spin glasses",
       Comm. Pure Appl. Math. 66(2), 165–201 (2013), doi:10.1002/cpa.21422, arXiv:1003.1129.
       Eq. (2.13); I_1 of Eq. (2.14).
    .. [2] A. Meurer et al., "SymPy: symbolic computing in Python", PeerJ Comput. Sci. 3, e103
       (2017), doi:10.7717/peerj-cs.103. Series expansion.
    """
    sp, p, k, x, Einf, I1, theta = _sym_theta()
    t = sp.Symbol("t", positive=True)
    checks = []
    coeffs = {}
    from ..analytic.spinglass import E_inf, threshold
    for pv in PS:
        ser = sp.series(I1.subs(p, pv).subs(x, Einf.subs(p, pv) + t), t, 0, 2).removeO()
        c = sp.simplify(ser / t ** sp.Rational(3, 2))
        coeffs[f"c(p={pv})"] = c
        cv = float(c)
        th_inf = math.log(pv - 1) / 2 - (pv - 2) / pv
        ratio = {}
        for kv in (10_000, 1_000_000):
            pred = (th_inf / ((kv + 1) * cv)) ** (2 / 3)
            ratio[kv] = (threshold(kv, pv) - E_inf(pv)) / pred
        # the next term is O(t) ~ O(k^(-2/3)) relative: 100x more k shrinks the error 21.5x
        checks.append(Check(f"(E_k - E_inf)/leading term -> 1, error ratio k=1e6 vs 1e4, p={pv}",
                            (ratio[1_000_000] - 1) / (ratio[10_000] - 1), 100 ** (-2 / 3),
                            0.05, relative=True))
        checks.append(Check(f"(E_k - E_inf)/leading term at k=1e6, p={pv}", ratio[1_000_000],
                            1.0, 1e-3))
    return Derivation("E_k -> E_inf as k -> infinity (ABC13 Eq. 2.13)", coeffs, checks)
