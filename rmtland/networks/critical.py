r"""Critical points of every index of a network's loss, batched over random starts.

:func:`find_network_critical_points` runs ``B`` searches at once: the ``B`` starts are ``B``
networks of one shape (``theta`` of shape ``(B, n)``), so every gradient, Hessian and
eigendecomposition is one batched call (:class:`~rmtland.networks.mlp.MLP`; NumPy or CuPy,
following the backend of ``X``). Dense Hessians: meant for moderate ``n`` (up to a few
hundred parameters; memory about ``5 n^2`` numbers per start). The starts are streamed in
chunks sized by the memory plan (``chunk``; all at once when they fit): each start is an
independent row of every batched call (the eigendecompositions of an iteration are one stacked
``eigh`` over the chunk's active starts), so the results do not depend on the chunk.

Algorithm
---------
1. **Phase 1.**

   - ``kind="any"``: minimise :math:`F(\theta) = \tfrac12\lVert\nabla L\rVert^2`, whose
     gradient is :math:`H\nabla L`, by Levenberg–Marquardt (Gauss–Newton for the residual
     :math:`g = \nabla L`): the step solves :math:`(H^2 + \mu I)\,d = -H g`, computed from the
     eigendecomposition :math:`H = \sum_i \lambda_i v_i v_i^\top` as
     :math:`d = -\sum_i \frac{\lambda_i}{\lambda_i^2 + \mu}(v_i^\top g)\,v_i` with
     :math:`\mu = \nu\max_i\lambda_i^2`. A step is accepted when :math:`F` decreases; then
     :math:`\nu \leftarrow \max(\nu/3, \nu_{\min})`, else :math:`\nu \leftarrow 4\nu`
     (Levenberg 1944; Marquardt 1963; the damping update of Nielsen 1999). As
     :math:`\mu \to 0` the step is Newton's :math:`-H^{-1}g`, so the search converges
     quadratically to non-degenerate critical points of **any** index; eigen-directions with
     :math:`\lambda_i \to 0` (symmetry zero modes) get no step.
   - ``kind="minima"``: damped Newton on :math:`L` with the positive-definite (absolute-value)
     modification of the Hessian, :math:`d = -\sum_i \frac{v_i^\top g}{|\lambda_i| + \mu}v_i`,
     :math:`\mu = \nu\max_i|\lambda_i|` (Dauphin et al. 2014, "saddle-free Newton"; Nocedal &
     Wright, *Numerical Optimization*, 2nd ed., Sec. 3.4), accepted when :math:`L`
     decreases (or, within rounding of :math:`L`, when :math:`\lVert g\rVert` does). It
     descends past saddles (negative directions are followed downhill).

   Every step is capped at ``MAX_STEP`` × max(‖θ‖, 1) (a trust radius relative to the
   point; LeCun-initialised parameters have entries of order one, so 1 is the floor). A
   start leaves phase 1 when converged, when :math:`\nu > \nu_{\max}` (no step decreases the
   objective: stalled), when it runs off to infinity (below), when it stays gradient-flat
   for ``FLAT_PATIENCE`` iterations, or after ``maxiter`` iterations.
2. **Polish** (every start not converged and not at infinity): Newton on :math:`\nabla L = 0`
   with the pseudo-inverse, :math:`d = -\sum_{|\lambda_i| > \texttt{tol\_zero}\max|\lambda|}
   \frac{v_i^\top g}{\lambda_i}v_i`, and a backtracking search over
   :math:`\alpha \in \{1, \tfrac12, \tfrac14, \tfrac18\}` on :math:`\lVert g\rVert`. Dropping
   the eigen-directions with :math:`|\lambda_i| \le \texttt{tol\_zero}\max|\lambda|`
   (default ``TOL_ZERO = 1e-8``) handles the exact zero modes of continuous symmetries (the
   :math:`GL(h)` rescalings of linear units) and of degenerate critical points, where
   Newton's matrix is singular: along them the gradient vanishes at the critical set, and a
   division by a rounding-level eigenvalue would throw the point away. (Permutations and sign
   flips of hidden units are discrete symmetries and give no zero modes.)

Rules (all per start, at its final point; constants are module attributes and arguments)
----------------------------------------------------------------------------------------
- **Scale and convergence.** ``scale`` :math:`= \max\big(\sqrt{2L(\theta_0)\,
  \lambda_{\max}(H_0(\theta_0))},\ \lVert\nabla L(\theta_0)\rVert\big)` at the start
  :math:`\theta_0`. For the squared loss, :math:`\nabla L = c\,J^\top r`, :math:`L =
  \tfrac c2\lVert r\rVert^2` and :math:`H_0 = cJ^\top J`, so Cauchy–Schwarz gives
  :math:`\lVert\nabla L\rVert \le \sqrt{2L\lambda_{\max}(H_0)}`: the scale is the largest
  gradient the start's residual can produce through its Jacobian (units of :math:`L/\theta`),
  and the max with :math:`\lVert\nabla L(\theta_0)\rVert` makes it an upper bound for every
  loss. It is fixed per start (a zero-loss minimum has :math:`\sqrt{2L\lambda_{\max}} \to 0`
  at the point itself, so a scale taken there could never be met). **Converged** ⇔
  :math:`\lVert\nabla L\rVert \le \texttt{tol}\cdot\texttt{scale}` (default ``tol = 1e-10``).
- **At infinity** (minima at infinity: tanh units, no biases, random targets; the descent
  runs off with growing weights while units saturate, and :math:`\lVert\nabla L\rVert`
  decays only through :math:`\sigma'(z) \approx 4e^{-2|z|}` or through the growth itself).
  With ``z_inf`` = :data:`~rmtland.networks.mlp.SATURATION_Z` = atanh(1 − 1e-8) ≈ 9.557 (a
  unit within 1e-8 of ±1, :math:`\sigma' < 4\cdot10^{-8}`), a start is ``"at_infinity"``
  when

  (a) (tanh) some hidden unit is saturated on **every** sample, :math:`\min_i|z_{iu}| >`
      ``z_inf`` (``saturated_units > 0``), converged or not: such a unit is a constant
      :math:`\pm1` to 1e-8, the loss is flat to that level along the growth of its
      incoming weights, and its gradient is suppressed by :math:`\sigma' < 4\cdot10^{-8}`
      on every sample, so a small :math:`\lVert\nabla L\rVert` there is no evidence of a
      finite critical point; or
  (b) it has **not** converged and either (tanh) ``zmax > z_inf`` (some unit saturated on
      some sample: the run-off under way) or its parameter norm exceeds ``norm_growth`` ×
      its initial norm (default 100: a finite minimum of a teacher task was seen at 9.5x
      its start's norm, with one steep unit, while run-offs pass 100x within ~150
      iterations). The norm rule also catches the non-saturating run-off of two units with
      opposite, growing outgoing weights, and unbalanced drifts of linear units.

  (c) (finite means finite; issue 18) it **has** converged but is not finite: its largest
      pre-activation exceeds the bound of its activation, ``zmax >`` :data:`FINITE_Z`
      (tanh: :data:`Z_FINITE` = 15, where :math:`\sigma'(z) = 1 - \tanh^2 z = 3.7\cdot
      10^{-13} < 4\cdot10^{-13}`: the unit is flat to rounding on that sample), or it is a
      minimum (index count 0) with more zero modes (``zero_modes``, below) than the exact
      continuous symmetries explain (:func:`symmetry_zero_modes`: 0 for tanh and softplus; plus
      :math:`\max(0, n - km)` on the interpolation manifold of an over-parametrised
      network, :func:`allowed_zero_modes`;
      the rule is off for linear and piecewise-linear units). Saddles keep their zero modes:
      degenerate critical sets of every index are part of the landscape (e.g. the tanh
      family :math:`W_2 = 0`, loss :math:`\tfrac12\overline{y^2}`, flat in :math:`W_1`), and
      a flat direction at a saddle does not make a minimum at infinity. Points found at [4, 6, 2] on random targets had max
      :math:`|z|` 46–853 and 1–7 zero modes, and moving 10 along a zero mode changed the loss
      by < 2e-7: minima at infinity that the gradient test alone had accepted.

  A converged point with a unit saturated on some samples only, within that bound and
  without excess zero modes, is a finite critical point:
  the unsaturated samples carry that unit's gradient at full size, so
  :math:`\lVert\nabla L\rVert \le` tol · scale is a genuine balance, and the Newton step
  ``newton_step`` :math:`= \lVert H^+\nabla L\rVert` (reported) estimates the distance to
  the exact zero (Newton–Kantorovich; e.g. a steep unit with ``|w| ≈ 29``, saturated on 70% of
  the samples, at a minimum of a teacher task: Newton step ~1e-7 at a norm of 29). ``zmax``,
  ``saturated`` (saturated (sample, unit) pairs), ``saturated_units`` and the norms are
  reported for every point. Phase 1 stops a start as soon as (a) or the norm rule holds.
- **Gradient-flat** (Frye, Wadia, DeWeese & Bouchard 2019): points where :math:`H\nabla L
  \approx 0` but :math:`\nabla L \ne 0`, at which the minimisation of
  :math:`\tfrac12\lVert\nabla L\rVert^2` stalls without reaching a critical point. With the
  *flatness* :math:`\rho = \lVert H g\rVert / (\max_i|\lambda_i|\,\lVert g\rVert) \in [0, 1]`
  (the cosine-like fraction of :math:`g` outside the near-kernel of :math:`H`), a start that
  is neither converged nor at infinity is ``"gradient_flat"`` when
  :math:`\rho \le \texttt{flat\_tol}` (default ``1e-8``) at its final point. Phase 1 freezes
  a start after ``FLAT_PATIENCE`` (5) consecutive iterations with :math:`\rho \le
  \texttt{flat\_tol}` and :math:`\lVert g\rVert > \texttt{tol}\cdot\texttt{scale}`.
- Otherwise the start is ``"not_converged"``. With ``kind="minima"``, a converged finite
  point with index count > 0 is ``"not_minimum"`` and is not returned.
- **Index with zero modes snapped.** With ``snap = rtol · max|λ|`` (default ``rtol =
  1e-6``): ``index_count`` = #{λ < −snap}, ``zero_modes`` = ``#{|λ| ≤ snap}``, ``index =
  index_count / n`` (the fraction, as everywhere in rmtland). At a point with
  :math:`\lVert g\rVert \le 10^{-10}` scale, the symmetry zero
  modes are perturbed by about :math:`\lVert g\rVert/\lambda` relative (≪ 1e-6), while a
  degenerate direction with a cubic loss profile carries :math:`|\lambda| \sim
  \sqrt{\lVert g\rVert}` (≈ 1e-5 relative at the tolerance: it may be counted either way;
  ``zero_modes`` reports how many were snapped).
- **Distinct points.** Converged finite points are merged when their canonical forms
  (:func:`canonical_form`) satisfy :math:`\lVert c - c'\rVert \le \texttt{merge\_tol}\,
  \max_j\lVert c_j\rVert` (default ``merge_tol = 1e-6``; the max runs over the converged
  points of the call: relative to the size of the points found, and absolute so that points
  at the origin, e.g. :math:`\theta = 0` of a network without biases, merge too), greedily in
  the order of the starts; the first start of a group represents it. A converged point is
  located to about :math:`\lVert\nabla L\rVert/|\lambda|_{\min\ne0} \ll 10^{-6}` at
  non-degenerate points; points on a continuous degenerate family (beyond the symmetries
  below) stay separate though their losses agree. Canonical forms: for
  ``activation="linear"`` the end-to-end affine map (:math:`W_D\cdots W_1` and the composed
  bias), which identifies the whole :math:`GL` orbit (inertia and loss are constant on it);
  otherwise the parameters modulo hidden-unit permutations (every hidden layer, any depth)
  and, for the odd activation tanh, sign flips (every hidden layer).

Piecewise-linear activations (``"relu"``, ``"leaky_relu"``)
-----------------------------------------------------------
The loss is smooth on the open regions of fixed activation pattern (the signs of every hidden
pre-activation :math:`z_{iu}`), a polynomial in :math:`\theta` on each; the searches use the
gradient and the almost-everywhere Hessian of :class:`~rmtland.networks.mlp.MLP`
(:math:`\sigma'' = 0`, :math:`\sigma'(0) = 0` for ReLU), i.e. Newton's method on the region
the current point lies in, re-evaluated after every step (a step may cross kinks; it is
accepted on the same decrease rules). What a returned ``"critical"`` point is:

- a point with :math:`\lVert\nabla L\rVert \le` ``tol`` · scale for that convention
  (checked, as for every activation). When ``min_preactivation`` (the smallest
  :math:`|z_{iu}|`) is well above :math:`\lVert\theta\rVert` times the Newton step scale, it
  is a critical point of the region's polynomial inside its region, a genuine critical point of
  :math:`L` with the index of its (a.e.) Hessian. A point with ``min_preactivation`` at
  rounding level lies on a kink; there :math:`\nabla L` and :math:`H` are the one-sided
  values of the convention, and a critical point of :math:`L` in the nonsmooth (Clarke)
  sense is not certified by them. The finder does not search kinks for nonsmooth critical
  points (where the one-sided gradients do not vanish): such starts end ``"not_converged"``
  or ``"gradient_flat"``, with ``min_preactivation`` at rounding level. (Measured on widths
  [3, 4, 2], 20 Gaussian samples, Gaussian targets, 16 starts: 2 starts converge inside a
  region, with margins 3e-3; 9 of the 14 others stop on a kink, margin < 1e-11; for comparison
  tanh converges from 7 and softplus from 8 of the same 16 starts.)
- Zero modes: ReLU and leaky ReLU are positively homogeneous, so every hidden unit carries a
  continuous rescaling symmetry (its incoming vector times :math:`a > 0`, its outgoing vector
  over :math:`a`), one exact zero mode of :math:`H` per active unit at a critical point;
  :func:`canonical_form` fixes it before merging. A **dead** unit (``dead_units``: ReLU,
  :math:`z \le 0` on every sample) outputs 0, and all its incoming and outgoing weights
  are zero rows of :math:`H` (zero modes: the loss is locally constant along them). Dead
  units are finite configurations and are reported, not classified at infinity; the
  at-infinity rule for ReLU is the norm-growth rule alone (the saturation rule is for tanh).

References
----------
C. G. Frye, N. S. Wadia, M. R. DeWeese, K. E. Bouchard, "Numerically recovering the critical
points of a deep linear autoencoder", arXiv:1901.10603 (2019) (gradient-flat points; Newton
and Levenberg–Marquardt searches on the squared gradient norm).
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix Theory",
ICML 2017, PMLR 70:2798–2806 (critical points of every index by minimising
:math:`\lVert\nabla L\rVert^2`; index against loss).
Y. N. Dauphin, R. Pascanu, C. Gulcehre, K. Cho, S. Ganguli, Y. Bengio, "Identifying and
attacking the saddle point problem in high-dimensional non-convex optimization", NeurIPS 2014,
arXiv:1406.2572 (the absolute-value Hessian modification).
K. Levenberg, Q. Appl. Math. 2, 164–168 (1944); D. W. Marquardt, J. SIAM 11(2), 431–441
(1963), doi:10.1137/0111030; H. B. Nielsen, "Damping parameter in Marquardt's method",
IMM-REP-1999-05, DTU (1999).
P. Baldi, K. Hornik, "Neural networks and principal component analysis: learning from examples
without local minima", Neural Networks 2(1), 53–58 (1989), doi:10.1016/0893-6080(89)90014-2
(the critical points of a one-hidden-layer linear network; the tests check against them).
"""
import time

import numpy as np

from .. import _validate
from .._backend import array_namespace, device_name, to_numpy
from .._validate import InputError
from ..linalg.dense import eigh_batched, eigvalsh_batched, memory_budget, plan_chunk
from .mlp import MLP, SATURATION_Z

__all__ = ["find_network_critical_points", "descent_starts", "canonical_form", "classify_points", "flatness",
           "saturated_units", "unit_statistics", "symmetry_zero_modes", "allowed_zero_modes", "STATUSES", "KINDS", "TOL", "TOL_ZERO", "SNAP_RTOL", "FLAT_TOL",
           "FLAT_PATIENCE",
           "MERGE_TOL", "NORM_GROWTH", "Z_FINITE", "FINITE_Z", "MAX_STEP", "NU0", "NU_MIN", "NU_MAX"]

#: activations with sigma(a z) = a sigma(z) for a > 0: a continuous rescaling symmetry per unit
POSITIVELY_HOMOGENEOUS = ("relu", "leaky_relu")
#: status of a start, in the order of the codes of :func:`classify_points`
STATUSES = ("critical", "at_infinity", "gradient_flat", "not_converged", "not_minimum")
KINDS = ("any", "minima")
#: convergence: |grad L| <= TOL * scale
TOL = 1e-10
#: polish: eigen-directions with |lambda| <= TOL_ZERO * max|lambda| are dropped
TOL_ZERO = 1e-8
#: index: eigenvalues with |lambda| <= SNAP_RTOL * max|lambda| are zero modes
SNAP_RTOL = 1e-6
#: gradient-flat: |H g| / (max|lambda| |g|) <= FLAT_TOL with |g| above the tolerance
FLAT_TOL = 1e-8
#: consecutive flat iterations after which phase 1 freezes a start
FLAT_PATIENCE = 5
#: merge: ||c - c'|| <= MERGE_TOL * max_j ||c_j|| of the canonical forms
MERGE_TOL = 1e-6
#: at infinity: ||theta|| > NORM_GROWTH * ||theta_0||
NORM_GROWTH = 100.0
#: finite: max |z| <= Z_FINITE (tanh): 1 - tanh^2(15) = 3.7e-13 < 4e-13, a numerically flat unit
Z_FINITE = 15.0
#: the pre-activation bound of a finite point, per activation (None: no bound stated)
FINITE_Z = {"tanh": Z_FINITE}
#: trust radius: ||d|| <= MAX_STEP * max(||theta||, 1)
MAX_STEP = 0.5
#: damping: initial, smallest, and the "stalled" threshold of nu
NU0, NU_MIN, NU_MAX = 1e-3, 1e-15, 1e10
#: backtracking factors of the polish
_ALPHAS = (1.0, 0.5, 0.25, 0.125)

# per-start codes while iterating
_ACTIVE, _DONE, _STALLED, _INF, _FLAT, _MAXITER = range(6)


# --------------------------------------------------------------------------- linear algebra


def _rot(V, g):
    """:math:`V^\\top g` row by row: ``(b, n)``."""
    return (g[:, None, :] @ V)[:, 0, :]


def _unrot(V, c):
    """:math:`V c` row by row: ``(b, n)``."""
    return (V @ c[:, :, None])[:, :, 0]


def _norm(xp, a):
    return xp.sqrt((a * a).sum(axis=1))


def flatness(w, V, g):
    r"""Flatness :math:`\rho = \lVert Hg\rVert / (\max_i|\lambda_i|\,\lVert g\rVert)` of each
    row, from the eigendecomposition :math:`H = V\,\mathrm{diag}(w)\,V^\top`.

    :math:`\rho \in [0, 1]`; :math:`\rho = 0` when :math:`g` lies in the kernel of :math:`H`
    (a gradient-flat point when :math:`g \ne 0`; Frye et al., arXiv:1901.10603). Rows with
    :math:`g = 0` or :math:`H = 0` get :math:`\rho = 1` (not flat: undefined, and never the
    reason for a rejection).

    Parameters
    ----------
    w : array ``(b, n)``; V : array ``(b, n, n)``; g : array ``(b, n)``
        Same backend.

    Returns
    -------
    rho : array ``(b,)`` on the backend of the input.
    """
    xp = array_namespace(w, V, g)
    hg = _norm(xp, w * _rot(V, g))
    den = xp.abs(w).max(axis=1) * _norm(xp, g)
    ok = den > 0
    return xp.where(ok, hg / xp.where(ok, den, 1.0), 1.0)


def classify_points(grad_norm, scale, rho, zmax, norm, norm0, saturated_units=None, *,
                    tol=TOL, flat_tol=FLAT_TOL, z_inf=SATURATION_Z, norm_growth=NORM_GROWTH,
                    saturating=True, zero_modes=None, symmetry_modes=None, z_finite=None):
    r"""Status code of each start from its final numbers (the rules of the module notes).

    Codes index :data:`STATUSES`: 0 ``"critical"``, 1 ``"at_infinity"``, 2
    ``"gradient_flat"``, 3 ``"not_converged"`` (``"not_minimum"``, 4, is decided by the
    caller from the index).

    - at infinity: ``saturating and saturated_units > 0``, or (not converged and
      (``saturating and zmax > z_inf`` or ``norm > norm_growth * norm0``)), or (converged
      and (``zmax > z_finite`` or ``zero_modes > symmetry_modes``): rule (c), finite means
      finite; each half applies when its bound is given);
    - else critical (converged): ``grad_norm <= tol * scale``;
    - else gradient-flat: ``rho <= flat_tol``;
    - else not converged.

    Parameters
    ----------
    grad_norm, scale, rho, zmax, norm, norm0 : arrays ``(b,)`` of one backend
    saturated_units : int array ``(b,)`` or None
        Hidden units saturated (:math:`|z| >` ``z_inf``) on every sample; None: zeros.
    tol, flat_tol, z_inf, norm_growth : float > 0
    saturating : bool
        Whether the ``zmax`` rule applies (tanh units).
    zero_modes : int array ``(b,)`` or None
        Snapped zero eigenvalues of :math:`H` at each point; with ``symmetry_modes`` (the
        count the exact continuous symmetries explain, :func:`symmetry_zero_modes`), a
        converged point with more is at infinity. None (either): the half is off.
    z_finite : float or None
        A converged point with ``zmax > z_finite`` is at infinity (:data:`FINITE_Z`); None:
        the half is off.

    Returns
    -------
    codes : int64 array ``(b,)`` on the backend of the input.
    """
    xp = array_namespace(grad_norm, scale, rho, zmax, norm, norm0)
    conv = grad_norm <= tol * scale
    runoff = norm > norm_growth * norm0
    inf = xp.zeros(conv.shape, dtype=bool)
    if saturating:
        runoff = runoff | (zmax > z_inf)
        if saturated_units is not None:
            inf = saturated_units > 0
    inf = inf | (runoff & ~conv)
    if z_finite is not None:
        inf = inf | (conv & (zmax > z_finite))
    if zero_modes is not None and symmetry_modes is not None:
        inf = inf | (conv & (zero_modes > symmetry_modes))
    flat = rho <= flat_tol
    code = xp.where(inf, 1, xp.where(conv, 0, xp.where(flat, 2, 3)))
    return code.astype(xp.int64)


def symmetry_zero_modes(model):
    r"""Zero modes of :math:`H` that the exact continuous symmetries of the architecture
    explain at every point, for the finiteness rule (c); ``None`` where the rule does not
    apply.

    - ``"tanh"``, ``"softplus"``: 0. Neither is homogeneous, so the only symmetries are the
      discrete hidden-unit permutations (and, tanh being odd, sign flips), which give no
      zero mode: a zero mode is a direction along which the loss is flat to second order,
      and at the points the issue measured (a unit whose :math:`\sigma'` vanishes to
      rounding on its samples, or a unit with zero outgoing weight) a flat direction to
      infinity. Caveat: a degenerate finite critical point (e.g. :math:`\theta = 0` without
      biases, where only the cross-layer block of :math:`H` survives) is counted at infinity
      too; the rule errs toward "not finite".
    - ``"linear"`` and piecewise-linear units: ``None``. Their rescaling symmetries
      (:math:`GL(h)` per hidden layer for linear units, :math:`h` positive rescalings for
      ReLU) give zero modes whose number depends on the point (rank-deficient Baldi–Hornik
      critical points of linear networks, dead ReLU units carry further exact zero modes at
      finite points), so a count of zero modes does not decide finiteness there.
    """
    return 0 if model.activation in ("tanh", "softplus") else None


def allowed_zero_modes(model, m):
    r"""Zero modes a **finite** minimum may have on ``m`` samples: the symmetries'
    (:func:`symmetry_zero_modes`) plus :math:`\max(0, n - km)`, the interpolation manifold: at
    a zero-loss minimum :math:`H = H_0 = cJ^\top J` has rank at most :math:`km`, so an
    over-parametrised network (:math:`\varphi = n/(km) > 1`) has :math:`n - km` zero modes
    along its manifold of exact fits at every finite point of it. ``None`` where the rule
    does not apply."""
    sym = symmetry_zero_modes(model)
    return None if sym is None else sym + max(0, model.n_params - model.widths[-1] * m)


def saturated_units(model, theta, X, z_inf=SATURATION_Z):
    r"""Number of hidden units of each network saturated on every sample:
    :math:`\min_i |z_{iu}| >` ``z_inf`` (tanh only; 0 for other activations), ``(B,)`` int64
    on the backend of ``theta`` (one forward pass)."""
    return unit_statistics(model, theta, X, z_inf)[0]


def unit_statistics(model, theta, X, z_inf=SATURATION_Z):
    r"""Per network, from one forward pass: ``(saturated, dead, margin)``, each ``(B,)`` on the
    backend of ``theta``.

    - ``saturated`` (int64): hidden units with :math:`\min_i|z_{iu}| >` ``z_inf`` (tanh
      only, else 0): constant :math:`\pm1` on every sample (the at-infinity rule);
    - ``dead`` (int64): hidden units with :math:`\sigma'(z_{iu}) = 0` on every sample, i.e.
      :math:`z_{iu} \le 0` for all ``i`` (``"relu"`` only, with its convention
      :math:`\sigma'(0) = 0`; 0 for other activations). A dead unit outputs 0 on the data: its
      incoming and outgoing weights are exact zero modes of :math:`H` (zero rows), the
      loss is flat along them while the unit stays dead. It is a finite configuration, not a
      point at infinity.
    - ``margin`` (dtype of ``theta``): :math:`\min_{i,u}|z_{iu}|` over every hidden unit and
      sample, the distance of the pre-activations to the kink :math:`z = 0` of the
      piecewise-linear activations (``inf`` for a network without hidden units). A margin of
      0 (to rounding) means the point lies on the kink set, where :math:`\nabla L` and
      :math:`H` are the one-sided values of :class:`MLP`'s convention.
    """
    xp = array_namespace(theta, X)
    B = theta.shape[0]
    saturated = xp.zeros(B, dtype=xp.int64)
    dead = xp.zeros(B, dtype=xp.int64)
    margin = xp.full(B, np.inf, dtype=theta.dtype)
    for z in model._unchecked_preactivations(theta, X):                 # (B, m, h) each
        az = xp.abs(z)
        margin = xp.minimum(margin, az.min(axis=(1, 2)))
        if model.activation == "tanh":
            saturated = saturated + (az.min(axis=1) > z_inf).sum(axis=1).astype(xp.int64)
        if model.activation == "relu":
            dead = dead + (z.max(axis=1) <= 0).sum(axis=1).astype(xp.int64)
    return saturated, dead, margin


# --------------------------------------------------------------------------- canonical forms


def canonical_form(model, theta):
    r"""Symmetry-reduced representative of each parameter vector, on the host.

    - ``activation="linear"``: the end-to-end affine map, ``[W_D ⋯ W_1 (row-major), b_eff]``
      with :math:`b_\mathrm{eff} = \sum_l W_D\cdots W_{l+1} b_l` (without biases just the
      product), shape ``(B, k d_in (+ k))``. It is constant on the orbit of the continuous
      symmetry :math:`(W_l, W_{l+1}) \to (A W_l, W_{l+1} A^{-1})`; loss and (at a critical
      point, by Sylvester's law: :math:`H \to A^\top H A`) inertia are too.
    - ``"relu"``, ``"leaky_relu"`` (positively homogeneous: :math:`\sigma(az) = a\sigma(z)`
      for :math:`a > 0`): first the rescaling symmetry :math:`(w^{in}_u, w^{out}_u) \to
      (a\,w^{in}_u, w^{out}_u/a)` of every hidden unit ``u`` is fixed, layer by layer from the
      input, by scaling each unit's incoming vector :math:`(W_l[u,:], b_l[u])` to unit norm
      (units with a zero incoming vector are left as they are; the scale moves into the
      layer above and finally into the output layer). This is a function of the orbit: the
      rescalings act diagonally and commute with the permutations, so the sort below is then
      applied with the key :math:`\lVert W_{l+1}[:, u]\rVert^2 + q\cdot\hat w^{in}_u`
      (:math:`\hat w^{in}_u` the unit-norm incoming vector, :math:`q_j = 1/\sqrt{j}` a fixed
      direction: the norm of :math:`\hat w^{in}_u` is 1 for every unit and cannot order them).
      Loss and, at a critical point, inertia are constant on the orbit (the rescaling is
      linear in :math:`\theta`: Sylvester's law).
    - otherwise: ``theta`` ``(B, n)`` with the hidden units of every hidden layer
      ``l = 1 .. D-1`` put in canonical order, layer by layer from the input: for ``"tanh"``
      (odd) each unit's sign is first fixed so that the entry of largest magnitude of its
      incoming vector :math:`(W_l[i,:], b_l[i])` is positive (those entries are canonical
      once the layers below are); then the units are sorted by decreasing norm of
      :math:`u_i = (W_l[i,:], b_l[i], W_{l+1}[:, i])`, which is invariant under the
      permutations and sign flips of every layer. Flipping unit ``i`` negates
      :math:`u_i`; permuting units permutes the rows of :math:`W_l, b_l` and the columns of
      :math:`W_{l+1}`; both leave the network function unchanged (tanh is odd) and act on
      :math:`\theta` orthogonally, so loss and Hessian spectrum are unchanged. Exact ties of
      the sort keys or of the sign entries (measure zero) are broken arbitrarily.

    Parameters
    ----------
    model : MLP
    theta : array ``(B, n)``, NumPy or CuPy (copied to the host).

    Returns
    -------
    c : NumPy float64 array ``(B, q)``.
    """
    if not isinstance(model, MLP):
        raise InputError(f"model must be an rmtland.networks.MLP, got {type(model).__name__}")
    theta = np.asarray(to_numpy(theta), dtype=np.float64)
    layers = model.unflatten(theta)
    layers = [(np.array(W), None if b is None else np.array(b)) for W, b in layers]
    B = theta.shape[0]
    if model.activation == "linear":
        W, b = layers[0]
        beff = b
        for Wl, bl in layers[1:]:
            W = Wl @ W
            beff = None if beff is None else (Wl @ beff[:, :, None])[:, :, 0]
            if bl is not None:
                beff = bl if beff is None else beff + bl
        parts = [W.reshape(B, -1)] + ([beff] if beff is not None else [])
        return np.concatenate(parts, axis=1)
    if model.activation in POSITIVELY_HOMOGENEOUS:
        for l in range(model.depth - 1):            # unit-norm incoming vectors, from the input
            W, b = layers[l]
            W2, b2 = layers[l + 1]
            inc = W if b is None else np.concatenate([W, b[:, :, None]], axis=2)
            norm = np.sqrt((inc ** 2).sum(axis=2))                              # (B, h)
            s = np.where(norm > 0, 1.0 / np.where(norm > 0, norm, 1.0), 1.0)
            layers[l] = (W * s[:, :, None], None if b is None else b * s)
            layers[l + 1] = (W2 / s[:, None, :], b2)
    rows = np.arange(B)[:, None]
    for l in range(model.depth - 1):
        W, b = layers[l]
        W2, b2 = layers[l + 1]
        inc = W if b is None else np.concatenate([W, b[:, :, None]], axis=2)   # (B, h, in)
        if model.activation == "tanh":
            pick = np.abs(inc).argmax(axis=2)
            s = np.sign(np.take_along_axis(inc, pick[:, :, None], axis=2)[:, :, 0])
            s[s == 0] = 1.0
            W = W * s[:, :, None]
            b = None if b is None else b * s
            W2 = W2 * s[:, None, :]
            inc = inc * s[:, :, None]
        key = (W2 ** 2).sum(axis=1) + (                                        # (B, h)
            inc @ (1.0 / np.sqrt(np.arange(1.0, inc.shape[2] + 1))) if model.activation in POSITIVELY_HOMOGENEOUS
            else (inc ** 2).sum(axis=2))
        order = np.argsort(-key, axis=1, kind="stable")
        W = W[rows, order]
        b = None if b is None else b[rows, order]
        W2 = np.take_along_axis(W2, order[:, None, :], axis=2)
        layers[l], layers[l + 1] = (W, b), (W2, b2)
    return np.asarray(model.flatten(layers), dtype=np.float64)


def _merge(c, tol):
    """Greedy groups of the rows of ``c``: ``(representatives, label of each row)``; rows
    ``i, j`` are one point when ``||c_i - c_j|| <= tol * max_k ||c_k||`` (module notes)."""
    reps, labels = [], np.empty(c.shape[0], dtype=np.int64)
    norms = np.linalg.norm(c, axis=1)
    atol = tol * (norms.max() if norms.size else 0.0)
    for i in range(c.shape[0]):
        for j, r in enumerate(reps):
            if np.linalg.norm(c[i] - c[r]) <= atol:
                labels[i] = j
                break
        else:
            labels[i] = len(reps)
            reps.append(i)
    return np.asarray(reps, dtype=np.int64), labels


# --------------------------------------------------------------------------- the search


class _Search:
    """State of the ``B`` searches (device arrays) and the shared batched evaluations."""

    def __init__(self, model, X, Y, theta, tol, max_step):
        self.model, self.X, self.Y = model, X, Y
        self.xp = array_namespace(theta, X, Y)
        xp = self.xp
        self.theta = theta
        self.tiny = float(np.finfo(theta.dtype).tiny)
        self.max_step = max_step
        B = theta.shape[0]
        self.code = xp.full(B, _ACTIVE, dtype=xp.int64)
        self.nu = xp.full(B, NU0, dtype=theta.dtype)
        self.flat_count = xp.zeros(B, dtype=xp.int64)
        self.loss = model.loss(theta, X, Y)         # the one check of theta, X and Y
        self.g = model._unchecked_gradient(theta, X, Y)
        self.gnorm = _norm(xp, self.g)
        self.w, self.V = eigh_batched(model._unchecked_hessian(theta, X, Y))
        self.norm0 = _norm(xp, theta)
        self.tol = tol
        self.iterations = {"phase1": 0, "polish": 0}

    def refresh(self, idx):
        """Gradient, loss and eigendecomposition of H at the rows ``idx`` (device ints)."""
        th = self.theta[idx]
        m = self.model
        self.g[idx] = g = m._unchecked_gradient(th, self.X, self.Y)
        self.gnorm[idx] = _norm(self.xp, g)
        self.loss[idx] = m._unchecked_loss(th, self.X, self.Y)
        w, V = eigh_batched(m._unchecked_hessian(th, self.X, self.Y))
        self.w[idx], self.V[idx] = w, V

    def cap(self, d, th):
        """Scale each step to ``||d|| <= max_step * max(||theta||, 1)``."""
        xp = self.xp
        nd = _norm(xp, d)
        lim = self.max_step * xp.maximum(_norm(xp, th), 1.0)
        f = xp.where(nd > lim, lim / xp.maximum(nd, lim), 1.0)     # no overflow at nd = 0
        return d * f[:, None]

    def dead(self, th, z_inf):
        return saturated_units(self.model, th, self.X, z_inf)


def _active(xp, code):
    return xp.nonzero(code == _ACTIVE)[0]


def _phase1(s, kind, maxiter, scale, flat_tol, z_inf, norm_growth):
    xp, model = s.xp, s.model
    saturating = model.activation == "tanh"
    eps = float(np.finfo(s.theta.dtype).eps)
    for it in range(maxiter):
        act = _active(xp, s.code)
        if act.shape[0] == 0:
            break
        s.iterations["phase1"] = it + 1
        th, g, w, V, nu = s.theta[act], s.g[act], s.w[act], s.V[act], s.nu[act]
        gt = _rot(V, g)
        if kind == "any":
            lam2 = xp.maximum((w * w).max(axis=1), s.tiny)
            coef = w / (w * w + (nu * lam2)[:, None])
        else:
            lam = xp.maximum(xp.abs(w).max(axis=1), s.tiny)
            coef = 1.0 / (xp.abs(w) + (nu * lam)[:, None])
        d = s.cap(-_unrot(V, coef * gt), th)
        cand = th + d
        gc = model._unchecked_gradient(cand, s.X, s.Y)
        gcn = _norm(xp, gc)
        if kind == "any":
            ok = gcn < s.gnorm[act]
        else:
            lc = model._unchecked_loss(cand, s.X, s.Y)
            lo = s.loss[act]
            ok = (lc < lo) | ((lc <= lo + 4 * eps * xp.abs(lo)) & (gcn < s.gnorm[act]))
        ok = ok & xp.isfinite(gcn)
        s.nu[act] = xp.where(ok, xp.maximum(nu / 3.0, NU_MIN), nu * 4.0)
        acc = act[ok]
        if acc.shape[0]:
            s.theta[acc] = cand[ok]
            s.refresh(acc)
        # per-start checks at the (possibly new) point
        th = s.theta[act]
        gn = s.gnorm[act]
        conv = gn <= s.tol * scale[act]
        runoff = _norm(xp, th) > norm_growth * s.norm0[act]
        if saturating:
            runoff = runoff | (s.dead(th, z_inf) > 0)
        rho = flatness(s.w[act], s.V[act], s.g[act])
        fc = xp.where((rho <= flat_tol) & ~conv, s.flat_count[act] + 1, 0)
        s.flat_count[act] = fc
        code = xp.where(conv, _DONE, xp.where(runoff, _INF, xp.where(
            fc >= FLAT_PATIENCE, _FLAT, xp.where(s.nu[act] > NU_MAX, _STALLED, _ACTIVE))))
        s.code[act] = code
    s.code = xp.where(s.code == _ACTIVE, _MAXITER, s.code)


def _pinv_step(w, V, g, tol_zero):
    """H⁺g with the eigen-directions of |λ| <= tol_zero max|λ| dropped."""
    xp = array_namespace(w, V, g)
    big = xp.abs(w) > tol_zero * xp.abs(w).max(axis=1, keepdims=True)
    coef = xp.where(big, 1.0 / xp.where(big, w, 1.0), 0.0)
    return _unrot(V, coef * _rot(V, g))


def _polish(s, polish_iter, scale, tol_zero):
    xp, model = s.xp, s.model
    todo = xp.where((s.code == _DONE) | (s.code == _INF), 0, 1)       # 1: polish this start
    alphas = xp.asarray(np.asarray(_ALPHAS, dtype=s.theta.dtype))
    na = len(_ALPHAS)
    for it in range(polish_iter):
        act = xp.nonzero(todo == 1)[0]
        b = act.shape[0]
        if b == 0:
            break
        s.iterations["polish"] = it + 1
        th = s.theta[act]
        d = s.cap(-_pinv_step(s.w[act], s.V[act], s.g[act], tol_zero), th)
        cand = (th[None] + alphas[:, None, None] * d[None]).reshape(na * b, -1)
        gcn = _norm(xp, model._unchecked_gradient(cand, s.X, s.Y)).reshape(na, b)
        better = (gcn < s.gnorm[act][None]) & xp.isfinite(gcn)
        first = xp.argmax(better.astype(xp.int8), axis=0)           # first alpha that helps
        ok = better.any(axis=0)
        acc = act[ok]
        if acc.shape[0]:
            step = alphas[first][:, None] * d
            s.theta[acc] = (th + step)[ok]
            s.refresh(acc)
        conv = s.gnorm[act] <= s.tol * scale[act]
        todo[act] = xp.where(conv | ~ok, 0, 1)


def descent_starts(model, X, Y, starts, steps, *, rng=None, init_scale=1.0):
    r"""Starting points at a range of losses: snapshots of full-batch gradient descent.

    ``starts`` networks are drawn by ``model.init(starts, rng, scale=init_scale)`` on the
    backend of ``X``; each descends :math:`\theta \leftarrow \theta - \eta\nabla L` with its
    own step, first :math:`\eta = 1/\lambda_{\max}(H_0(\theta_0))` (the Gauss–Newton curvature
    at its start), and is copied after each number of steps in ``steps``.  A step that would
    raise the loss (or make it non-finite) is refused and that network's :math:`\eta` halved,
    so every trajectory is finite and its loss non-increasing.  The
    searches of :func:`find_network_critical_points` started from these snapshots begin at
    losses from the initial one (step 0) down towards minima, so the critical points they reach
    cover a range of losses and indices, not only the high-index saddles near the loss of a
    random start.

    Returns ``theta0`` of shape ``(starts * len(steps), n)``, snapshot-major (the ``starts``
    networks after ``steps[0]`` steps first).
    """
    if not isinstance(model, MLP):
        raise InputError(f"model must be an rmtland.networks.MLP, got {type(model).__name__}")
    starts = _validate.integer("starts", starts, 1)
    try:
        steps = sorted({_validate.integer("steps", s, 0) for s in steps})
    except TypeError:
        raise InputError(f"steps must be a sequence of integers >= 0, got {steps!r}") from None
    if not steps:
        raise InputError("steps must hold at least one step count (integers >= 0)")
    xp = array_namespace(X, Y)
    theta = model.init(starts, rng=rng, device=device_name(xp), scale=init_scale)
    lam = eigvalsh_batched(model.hessian(theta, X, Y, part="H0"))[:, -1]   # checks X, Y once
    eta = (1.0 / xp.maximum(lam, xp.finfo(lam.dtype).tiny))[:, None].astype(theta.dtype)
    loss = model._unchecked_loss(theta, X, Y)
    snaps = []
    for t in range(steps[-1] + 1):
        if t in steps:
            snaps.append(theta.copy())
        if t < steps[-1]:
            trial = theta - eta * model._unchecked_gradient(theta, X, Y)
            fin = xp.all(xp.isfinite(trial), axis=1)
            trial = xp.where(fin[:, None], trial, theta)
            with np.errstate(over="ignore", invalid="ignore"):
                new = model._unchecked_loss(trial, X, Y)
            ok = fin & (new <= loss)              # False for NaN/inf: rejected
            theta = xp.where(ok[:, None], trial, theta)
            loss = xp.where(ok, new, loss)
            eta = xp.where(ok[:, None], eta, eta / 2)
    return xp.concatenate(snaps, axis=0)


def _search_chunk(model, X, Y, theta, kind, tol, maxiter, polish_iter, tol_zero, rtol,
                  flat_tol, z_inf, norm_growth, max_step, scale):
    """The searches of one chunk of starts, from ``theta`` to their per-start numbers (device
    arrays; ``crit`` indexes the chunk), the seconds of (setup, phase 1, polish) and the
    iteration counts. Starts are independent rows of every batched call, so a start's numbers
    do not depend on the chunk it is in."""
    t_start = time.perf_counter()
    xp = array_namespace(theta, X, Y)
    B, n = theta.shape
    m = X.shape[0]
    s = _Search(model, X, Y, theta, tol, max_step)
    if scale is None:
        lam0 = eigvalsh_batched(model._unchecked_hessian(theta, X, Y, part="H0"))[:, -1]
        sc = xp.maximum(xp.sqrt(2.0 * xp.maximum(s.loss, 0.0) * xp.maximum(lam0, 0.0)),
                        s.gnorm)
        sc = xp.where(sc > 0, sc, 1.0)           # a start exactly at a zero-loss point
    else:
        sc = xp.full(B, scale, dtype=theta.dtype)
    t_setup = time.perf_counter()

    # ---- phase 1 and polish
    _phase1(s, kind, maxiter, sc, flat_tol, z_inf, norm_growth)
    t_phase1 = time.perf_counter()
    _polish(s, polish_iter, sc, tol_zero)
    t_polish = time.perf_counter()

    # ---- classification
    zmax, count = model.saturation(s.theta, X)
    units, dead, margin = unit_statistics(model, s.theta, X, z_inf)
    norm = _norm(xp, s.theta)
    rho = flatness(s.w, s.V, s.g)
    newton = _norm(xp, _pinv_step(s.w, s.V, s.g, tol_zero))
    absw = xp.abs(s.w)
    snap = rtol * absw.max(axis=1)
    index_count = (s.w < -snap[:, None]).sum(axis=1).astype(xp.int64)
    zero = (absw <= snap[:, None]).sum(axis=1).astype(xp.int64)
    code = classify_points(s.gnorm, sc, rho, zmax, norm, s.norm0, units, tol=tol,
                           flat_tol=flat_tol,
                           z_inf=z_inf, norm_growth=norm_growth,
                           saturating=model.activation == "tanh",
                           zero_modes=xp.where(index_count == 0, zero, 0),     # minima only
                           symmetry_modes=allowed_zero_modes(model, m),
                           z_finite=FINITE_Z.get(model.activation))
    if kind == "minima":
        code = xp.where((code == 0) & (index_count > 0), 4, code)
    crit = xp.nonzero(code == 0)[0]
    nc = int(crit.shape[0])
    if nc:
        eig0 = eigvalsh_batched(model._unchecked_hessian(s.theta[crit], X, Y, part="H0"))
        eig1 = eigvalsh_batched(model._unchecked_hessian(s.theta[crit], X, Y, part="H1"))
    else:
        eig0 = eig1 = xp.zeros((0, n), dtype=theta.dtype)

    return (dict(loss=s.loss, gnorm=s.gnorm, scale=sc, zmax=zmax, norm=norm, newton=newton,
                 norm0=s.norm0, rho=rho, margin=margin, index_count=index_count, zero=zero,
                 count=count, units=units, dead=dead, code=code, theta=s.theta, w=s.w,
                 crit=crit, eig0=eig0, eig1=eig1, t_spectra=time.perf_counter() - t_polish),
            np.array([t_setup - t_start, t_phase1 - t_setup, t_polish - t_phase1]),
            s.iterations)


def find_network_critical_points(model, X, Y, *, starts=None, theta0=None, rng=None,
                                 kind="any", tol=TOL, maxiter=200, polish_iter=30,
                                 tol_zero=TOL_ZERO, rtol=SNAP_RTOL, flat_tol=FLAT_TOL,
                                 merge_tol=MERGE_TOL, z_inf=SATURATION_Z,
                                 norm_growth=NORM_GROWTH, max_step=MAX_STEP, init_scale=1.0,
                                 scale=None, chunk=None):
    r"""Critical points of every index (or minima) of a network's loss from random starts.

    The algorithm and every rule (convergence scale, at infinity, gradient-flat, index with
    zero modes snapped, merging modulo symmetries) are in the module notes of
    :mod:`rmtland.networks.critical`; the constants are its module attributes.

    Parameters
    ----------
    model : MLP
        Any activation. For the piecewise-linear ones (``"relu"``, ``"leaky_relu"``,
        ``"linear"``) the Newton steps use the almost-everywhere Hessian (:class:`MLP`) and
        the returned points are as stated in the module notes ("Piecewise-linear
        activations").
    X : array ``(m, d_in)``; Y : array ``(m, k)``
        Shared by all starts. The search runs on their backend (NumPy, or CuPy on a GPU) and
        in the model's dtype (``theta0``'s when given).
    starts : int >= 1
        Number of random starts, drawn by ``model.init(starts, rng, scale=init_scale)`` on
        the backend of ``X``. May be omitted when ``theta0`` is given (it must then equal
        ``theta0.shape[0]``).
    theta0 : array ``(B, n)``, optional
        Explicit starting points instead of random ones (a host array is copied to the
        device of ``X``).
    rng : None, int, SeedSequence or Generator
    kind : {"any", "minima"}
        ``"any"``: critical points of every index (Levenberg–Marquardt on
        :math:`\tfrac12\lVert\nabla L\rVert^2`, then the polish). ``"minima"``: damped
        positive-definite Newton on :math:`L`, the polish, and only index-0 points are kept.
    tol : float in (0, 1)
        Convergence: :math:`\lVert\nabla L\rVert \le` ``tol`` × ``scale``. At least
        ``10 eps`` of the dtype (float32: use ``tol >= 1.2e-6``).
    maxiter : int >= 1
        Phase-1 iterations (one batched gradient, Hessian and eigendecomposition each).
    polish_iter : int >= 0
        Newton polish iterations.
    tol_zero : float in (0, 1)
        Polish: eigen-directions with :math:`|\lambda| \le` ``tol_zero`` ·
        :math:`\max|\lambda|` are dropped from the pseudo-inverse.
    rtol : float in (0, 1)
        Index: eigenvalues with :math:`|\lambda| \le` ``rtol`` · :math:`\max|\lambda|` are
        zero modes.
    flat_tol : float in (0, 1)
        Gradient-flat threshold of the flatness :math:`\rho` (:func:`flatness`).
    merge_tol : float in (0, 1)
        Relative distance below which two canonical forms are one point.
    z_inf : float > 0
        Saturation threshold of the at-infinity rule (tanh; default atanh(1 - 1e-8)).
    norm_growth : float > 1
        Parameter-norm growth factor of the at-infinity rule.
    max_step : float > 0
        Trust radius of every step relative to :math:`\max(\lVert\theta\rVert, 1)`.
    init_scale : float > 0
        ``scale`` of :meth:`MLP.init`.
    scale : float > 0, optional
        Override the per-start convergence scale (module notes) by one absolute value.
    chunk : int >= 1, optional
        Starts searched at once. Default: as many as the memory plan allows
        (:func:`rmtland.linalg.dense.plan_chunk` with the limit of
        :func:`~rmtland.linalg.dense.memory_budget`, about ``5 n^2`` numbers per start: the
        Hessian, its eigenvectors and the products), all of them when they fit. Starts are
        independent rows of every batched call (gradients, Hessians, one stacked
        eigendecomposition of the active starts per iteration), so the results do not depend
        on the chunk (tests/test_networks_batched.py); only ``settings["seconds"]`` does.

    Returns
    -------
    dict
        Host (NumPy) arrays, copied from the device once at the end. ``M`` distinct finite
        critical points (minima only for ``kind="minima"``), ordered by loss:

        - ``theta`` ``(M, n)``: the representative (first start of its group), as found;
        - ``loss`` ``(M,)``; ``grad_norm`` ``(M,)``; ``grad_ratio`` ``(M,)``
          (:math:`\lVert\nabla L\rVert` / scale); ``scale`` ``(M,)``;
        - ``index_count`` ``(M,)`` int (negative eigenvalues below ``-snap``), ``index``
          ``(M,)`` (the fraction ``index_count / n``), ``zero_modes`` ``(M,)`` int
          (:math:`|\lambda| \le` snap);
        - ``eig_H``, ``eig_H0``, ``eig_H1`` ``(M, n)``: ascending spectra of :math:`H`,
          :math:`H_0`, :math:`H_1` at the representative;
        - ``zmax``, ``saturated`` (saturated (sample, unit) pairs), ``saturated_units``
          (hidden units saturated on every sample: 0 here), ``dead_units`` (ReLU units with
          :math:`z \le 0` on every sample), ``min_preactivation`` (:math:`\min|z|` over
          hidden units and samples: the distance to the nearest kink; ``inf`` without hidden
          units) (:func:`unit_statistics`), ``norm``, ``norm0`` ``(M,)``;
          ``newton_step`` ``(M,)``: :math:`\lVert H^+\nabla L\rVert` (the polish's
          pseudo-inverse), Newton's estimate of the distance to the exact critical point;
          ``multiplicity`` ``(M,)``: starts
          merged into the point;
        - ``status``: counts over the starts of :data:`STATUSES`;
        - ``start_status`` ``(B,)`` str and ``start_point`` ``(B,)`` int (the distinct point a
          start converged to, -1 otherwise);
        - ``at_infinity``: per such start ``start``, ``zmax``, ``saturated``,
          ``saturated_units``, ``dead_units``, ``norm``,
          ``norm0``, ``grad_norm``, ``loss``, ``zero_modes``, ``index_count``, ``converged``
          (True: called at infinity by rule (c), finite means finite);
        - ``gradient_flat``: per such start ``start``, ``grad_norm``, ``flatness``, ``loss``;
        - ``not_converged``: per such start ``start``, ``grad_ratio``, ``flatness``,
          ``loss``, ``zmax``, ``norm``, ``min_preactivation`` (near 0: stopped on a kink);
        - ``start_scale`` ``(B,)``: the convergence scale of every start; ``start_loss``
          ``(B,)``: the loss at every start's end point, whatever its status;
        - ``settings``: every argument and constant used, the scale rule, ``n``, ``phi``,
          the device, ``chunk`` (starts per chunk) and ``chunks``, iteration counts (the
          most any chunk ran) and wall times (summed over the chunks).

    Examples
    --------
    >>> from rmtland.networks import MLP, find_network_critical_points
    >>> import numpy as np
    >>> g = np.random.default_rng(0)
    >>> X, Y = g.standard_normal((20, 3)), g.standard_normal((20, 2))
    >>> out = find_network_critical_points(MLP([3, 2, 2], "linear"), X, Y, starts=8, rng=1)
    >>> out["status"]["critical"] > 0
    True
    """
    t_start = time.perf_counter()
    if not isinstance(model, MLP):
        raise InputError(f"model must be an rmtland.networks.MLP, got {type(model).__name__}")
    if kind not in KINDS:
        raise InputError(f"kind must be one of {KINDS}, got {kind!r}")
    maxiter = _validate.integer("maxiter", maxiter, 1)
    polish_iter = _validate.integer("polish_iter", polish_iter, 0)
    for name, val in (("tol_zero", tol_zero), ("rtol", rtol), ("flat_tol", flat_tol),
                      ("merge_tol", merge_tol)):
        _validate.positive(name, val)
        if val >= 1:
            raise InputError(f"{name} must be in (0, 1), got {val!r}")
    tol = _validate.positive("tol", tol)
    z_inf = _validate.positive("z_inf", z_inf)
    norm_growth = _validate.positive("norm_growth", norm_growth)
    if norm_growth <= 1:
        raise InputError(f"norm_growth must be > 1, got {norm_growth!r}")
    max_step = _validate.positive("max_step", max_step)
    init_scale = _validate.positive("init_scale", init_scale)
    if scale is not None:
        scale = _validate.positive("scale", scale)
    for name, arr in (("X", X), ("Y", Y)):
        if getattr(arr, "ndim", None) != 2:
            raise InputError(f"{name} must be a 2-D array (m, {'d_in' if name == 'X' else 'k'})"
                             f" shared by all starts, got {getattr(arr, 'shape', type(arr))}")
    xp = array_namespace(X, Y)
    if theta0 is None:
        if starts is None:
            raise InputError("starts must be an integer >= 1 (or give theta0)")
        starts = _validate.integer("starts", starts, 1)
        theta = model.init(starts, rng=rng, device=device_name(xp), scale=init_scale)
    else:
        if array_namespace(theta0) is not xp and xp is np:
            raise InputError("theta0 must be on the backend of X (a device array was given "
                             "with host data)")
        theta = xp.asarray(theta0)
        if theta.ndim != 2 or theta.shape[1] != model.n_params or theta.shape[0] < 1:
            raise InputError(f"theta0 must have shape (B, {model.n_params}), got "
                             f"{tuple(theta.shape)}")
        if theta.dtype not in (np.float32, np.float64):
            theta = theta.astype(model.dtype)
        if starts is not None and _validate.integer("starts", starts, 1) != theta.shape[0]:
            raise InputError(f"starts must equal theta0.shape[0] = {theta.shape[0]}, "
                             f"got {starts}")
        theta = theta.copy()
    B, n = theta.shape
    eps = float(np.finfo(theta.dtype).eps)
    if tol >= 1 or tol < 10 * eps:
        raise InputError(f"tol must be in [10 eps, 1) = [{10 * eps:.3g}, 1) for "
                         f"{theta.dtype} parameters, got {tol!r}")
    m = X.shape[0]

    # ---- the searches, streamed in chunks of starts sized by the memory plan
    per_start = (5 * n * n + 2 * n) * theta.dtype.itemsize + model.nbytes(1, m, n,
                                                                         dtype=theta.dtype)
    chunk = plan_chunk(xp, per_start, B, chunk, max_bytes=memory_budget(xp)[1],
                       what="critical-point search (start)", blame="the widths")
    parts, times, t_spectra = [], np.zeros(3), 0.0
    iterations = {"phase1": 0, "polish": 0}
    for c in range(0, B, chunk):
        part, t, its = _search_chunk(model, X, Y, theta[c:c + chunk], kind, tol, maxiter,
                                     polish_iter, tol_zero, rtol, flat_tol, z_inf,
                                     norm_growth, max_step, scale)
        part["crit"] = part["crit"] + c
        t_spectra += part.pop("t_spectra")
        parts.append(part)
        times += t
        iterations = {k: max(v, its[k]) for k, v in iterations.items()}
    d = {k: (xp.concatenate([p[k] for p in parts]) if len(parts) > 1 else parts[0][k])
         for k in parts[0]}
    nc = int(d["crit"].shape[0])
    t_host0 = time.perf_counter()

    # ---- the one device-to-host boundary
    floats = {k: d[k] for k in ("loss", "gnorm", "scale", "zmax", "norm", "newton", "norm0",
                                "rho", "margin")}
    ints = {k: d[k] for k in ("index_count", "zero", "count", "units", "dead", "code")}
    dev = dict(theta=d["theta"], w=d["w"], crit=d["crit"], eig0=d["eig0"], eig1=d["eig1"],
               floats=xp.stack(list(floats.values())), ints=xp.stack(list(ints.values())))
    h = {k: to_numpy(v) for k, v in dev.items()}       # per-start numbers stacked: few syncs
    h.update(zip(floats, h.pop("floats")))
    h.update(zip(ints, h.pop("ints")))
    t_host = time.perf_counter()

    # ---- distinct points (host)
    crit = h["crit"].astype(np.int64)
    start_point = np.full(B, -1, dtype=np.int64)
    if nc:
        reps, labels = _merge(canonical_form(model, h["theta"][crit]), merge_tol)
        mult = np.bincount(labels, minlength=reps.size)
        order = np.argsort(h["loss"][crit[reps]], kind="stable")     # distinct points by loss
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        start_point[crit] = rank[labels]
        sel = crit[reps[order]]
        sel_local = reps[order]
        mult = mult[order]
    else:
        sel = sel_local = np.zeros(0, dtype=np.int64)
        mult = np.zeros(0, dtype=np.int64)
    names = np.asarray(STATUSES)[h["code"]]
    inf = np.nonzero(h["code"] == 1)[0]
    flat = np.nonzero(h["code"] == 2)[0]
    nconv = np.nonzero(h["code"] == 3)[0]
    out = {
        "theta": h["theta"][sel], "loss": h["loss"][sel], "grad_norm": h["gnorm"][sel],
        "grad_ratio": h["gnorm"][sel] / h["scale"][sel], "scale": h["scale"][sel],
        "index_count": h["index_count"][sel], "index": h["index_count"][sel] / n,
        "zero_modes": h["zero"][sel], "eig_H": h["w"][sel], "eig_H0": h["eig0"][sel_local],
        "eig_H1": h["eig1"][sel_local], "zmax": h["zmax"][sel], "saturated": h["count"][sel],
        "saturated_units": h["units"][sel], "dead_units": h["dead"][sel],
        "min_preactivation": h["margin"][sel],
        "norm": h["norm"][sel], "norm0": h["norm0"][sel], "newton_step": h["newton"][sel],
        "multiplicity": mult,
        "status": {name: int((h["code"] == i).sum()) for i, name in enumerate(STATUSES)},
        "start_status": names, "start_point": start_point,
        "at_infinity": {"start": inf, "zmax": h["zmax"][inf], "saturated": h["count"][inf],
                        "saturated_units": h["units"][inf], "dead_units": h["dead"][inf],
                        "norm": h["norm"][inf], "norm0": h["norm0"][inf],
                        "grad_norm": h["gnorm"][inf], "loss": h["loss"][inf],
                        "zero_modes": h["zero"][inf], "index_count": h["index_count"][inf],
                        "converged": h["gnorm"][inf] <= tol * h["scale"][inf]},
        "gradient_flat": {"start": flat, "grad_norm": h["gnorm"][flat],
                          "flatness": h["rho"][flat], "loss": h["loss"][flat]},
        "not_converged": {"start": nconv, "grad_ratio": h["gnorm"][nconv] / h["scale"][nconv],
                          "flatness": h["rho"][nconv], "loss": h["loss"][nconv],
                          "zmax": h["zmax"][nconv], "norm": h["norm"][nconv],
                          "min_preactivation": h["margin"][nconv]},
        "start_scale": h["scale"], "start_loss": h["loss"],
    }
    t_end = time.perf_counter()
    out["settings"] = {
        "kind": kind, "starts": B, "n": n, "m": m, "phi": model.phi(m), "model": repr(model),
        "device": device_name(xp), "dtype": str(theta.dtype), "tol": tol, "maxiter": maxiter,
        "polish_iter": polish_iter, "tol_zero": tol_zero, "rtol": rtol, "flat_tol": flat_tol,
        "flat_patience": FLAT_PATIENCE, "merge_tol": merge_tol, "z_inf": z_inf,
        "norm_growth": norm_growth, "max_step": max_step, "init_scale": init_scale,
        "z_finite": FINITE_Z.get(model.activation),
        "symmetry_zero_modes": symmetry_zero_modes(model),
        "allowed_zero_modes": allowed_zero_modes(model, m),
        "nu0": NU0, "nu_min": NU_MIN, "nu_max": NU_MAX, "alphas": list(_ALPHAS),
        "scale_rule": ("max(sqrt(2 L(theta0) lambda_max(H0(theta0))), |grad L(theta0)|) per "
                       "start" if scale is None else f"fixed scale = {scale!r}"),
        "merge_rule": ("end-to-end affine map (linear units)" if model.activation == "linear"
                       else ("incoming vectors scaled to unit norm (positive homogeneity), "
                             if model.activation in POSITIVELY_HOMOGENEOUS else "")
                       + "hidden units sorted by norm" + (
                           ", signs fixed (odd activation)" if model.activation == "tanh"
                           else "") + ", every hidden layer"),
        "chunk": chunk, "chunks": len(parts),
        "iterations": iterations,
        "seconds": {"setup": times[0], "phase1": times[1], "polish": times[2],
                    "spectra_and_transfer": t_host - t_host0 + t_spectra,
                    "merge": t_end - t_host, "total": t_end - t_start},
    }
    return out
