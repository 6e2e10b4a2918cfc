r"""The fields of every study's ``result.json``: name, type, unit and meaning, in one place.

Each study (:data:`STUDIES`) maps to a tuple of :class:`Field`; :func:`validate` checks a
result against it both ways (every emitted field documented, every documented field that is
not optional emitted, the types, no NaN or infinity anywhere) and the docs page
``docs/guide/results_schema.rst`` is written from the same tuples (:func:`rst`, by
``docs/_schemagen.py``; ``tests/test_schema.py`` checks the page, each study's real JSON and
each sweep kind's table against them), so the JSON, the sweep tables and the docs agree.
Plain data: no dependency; the module imports only the standard library (the sweep registry
only inside :func:`sweep_columns` and :func:`rst`, for the kinds' parameters).

Names are dotted paths into the JSON object: ``a.b`` is key ``b`` of the object at ``a``,
``*`` any key of a mapping whose keys are data (a part, a layer, a figure name, a
:math:`\varphi`), and ``[]`` each item of a list of objects (``critical_points[].loss``).

Types: ``"number"`` (a finite int or float), ``"int"``, ``"str"``, ``"bool"``, ``"list"``
(its numbers finite; items that are objects are checked against the ``name[]`` fields),
``"object"`` (its keys checked against the fields below it); ``"|null"`` appended: the value
may be ``null``.  ``optional``: the field may be absent (a method, an option or the data
decides; the meaning says which).  Units: ``"1"`` dimensionless, ``"loss"`` the squared loss
in PB17's normalisation (DESIGN.md "Networks"), ``"energy/site"`` :math:`u = H_N/N`,
``"eigenvalue"`` the unit of the spectrum's matrix, ``"s"`` seconds, ``"deg"`` degrees,
``"-"`` text or a label without a unit.

The sweep tables (:func:`sweep_columns`) hold, per kind, the lead and tail columns of
:mod:`rmtland.experiments.sweep.writers`, the kind's parameters and the scalar fields of its
study's result (as ``scalar_fields`` keeps them), plus the columns a kind derives itself.

References: J. Pennington and Y. Bahri, ICML 2017 (PB17; :math:`\varphi`, :math:`\varepsilon`,
:math:`\alpha`); A. Auffinger, G. Ben Arous and J. Černý, CPAM 66 (2013),
doi:10.1002/cpa.21422 (ABC13; :math:`E_0`, :math:`E_\infty`).
"""
import math
from dataclasses import dataclass

__all__ = ["Field", "STUDIES", "TYPES", "SWEEP_KINDS", "validate", "fields", "sweep_columns",
           "rst"]

#: the base types of :attr:`Field.type` (each may carry ``"|null"``)
TYPES = ("number", "int", "str", "bool", "list", "object")


@dataclass(frozen=True)
class Field:
    """One field of a result: ``name`` (dotted path, ``*`` any key, ``[]`` each list item),
    ``type`` (one of :data:`TYPES`, ``"|null"`` when it may be null), ``unit``, ``meaning``
    (one line, with the symbol of the math) and ``optional`` (may be absent)."""
    name: str
    type: str
    unit: str
    meaning: str
    optional: bool = False


def _f(name, type_, unit, meaning, optional=False):
    return Field(name, type_, unit, meaning, optional)


def _under(prefix, block, optional=False):
    """``block``'s fields below ``prefix`` (all optional with ``optional``)."""
    return tuple(Field(f"{prefix}.{f.name}", f.type, f.unit, f.meaning, f.optional or optional)
                 for f in block)


# -- blocks shared by several studies ---------------------------------------------------------
_VERSIONS = (
    _f("versions", "object", "-", "versions of the software that computed the result"),
    _f("versions.*", "str", "-", "version of one package (rmtland, numpy, scipy, matplotlib, "
                                 "python; dask and distributed in a sweep; blas: the library "
                                 "and its kernels, when threadpoolctl is installed)"),
)
_FILES = (_f("files", "list", "-", "the files written into the output directory (names)",
             optional=True),
          _f("figure_errors", "object", "-", "figure stem -> error, for figures that failed "
             "to draw (the numbers are saved)", optional=True),
          _f("figure_errors.*", "str", "-", "the error of one figure", optional=True))
_SECONDS = (_f("seconds", "number", "s", "wall-clock time of the computation"),)
_RUN = _SECONDS + _VERSIONS + _FILES

_FIT = (
    _f("law", "str", "-", "the fitted law (pb, mp, mp+semicircle, ...)"),
    _f("params", "object", "-", "the law's fitted parameters"),
    _f("params.*", "object", "-", "one parameter (phi, eps, sigma2, scale, ...)"),
    _f("params.*.value", "number", "1", "its fitted value (phi: varphi; eps: varepsilon; "
                                        "scale: the spectrum's unit)"),
    _f("params.*.stderr", "number|null", "1", "its bootstrap standard error (null when fixed)"),
    _f("params.*.fixed", "bool", "-", "held fixed, not fitted"),
    _f("ks", "number", "1", "KS distance of the fitted law to the bulk"),
    _f("p_value", "number|null", "1", "parametric-bootstrap p-value of ks (null for SLQ "
                                      "input)"),
    _f("edges", "list", "eigenvalue", "support intervals [lo, hi] of the fitted bulk"),
    _f("atoms", "list", "eigenvalue", "atoms [location, mass] of the fitted law"),
    _f("threshold", "number|null", "eigenvalue", "BBP threshold theta_c of the fitted bulk "
                                                 "(additive: 1/G(b+); covariance: 1+sqrt(phi))"),
    _f("outliers", "list", "-", "eigenvalues detected above the bulk, largest first"),
    _f("outliers[].value", "number", "eigenvalue", "the outlier lambda"),
    _f("outliers[].spike", "number|null", "eigenvalue", "spike strength theta that puts an "
       "outlier at lambda (G(lambda) = 1/theta; null where no theta does)"),
    _f("outliers[].spike_stderr", "number|null", "eigenvalue", "bootstrap standard error of "
                                                               "theta"),
    _f("outliers[].predicted", "number|null", "eigenvalue", "the outlier predicted from a "
                                                            "given spike, if any"),
    _f("predictions", "list", "-", "outlier locations predicted for the given spikes"),
    _f("predictions[].theta", "number", "eigenvalue", "a given spike strength theta"),
    _f("predictions[].location", "number|null", "eigenvalue", "lambda with G(lambda) = "
                                                              "1/theta (null below threshold)"),
    _f("n", "int", "1", "eigenvalues given (SLQ: probes)"),
    _f("bulk_n", "int", "1", "eigenvalues in the fitted bulk"),
    _f("distance", "str", "-", "the distance minimised (cramer-von-mises)"),
    _f("input", "str", "-", "eigenvalues or slq"),
    _f("rule", "str", "-", "the outlier rule"),
    _f("spike_kind", "str", "-", "additive or covariance spikes"),
    _f("bootstrap", "object", "-", "the bootstrap behind stderr and p_value"),
    _f("bootstrap.replicates", "int", "1", "bootstrap replicates B"),
    _f("bootstrap.kind", "str", "-", "parametric (eigenvalues) or probes (SLQ)"),
    _f("bootstrap.ks", "list", "1", "the replicates' KS distances (left out inside "
                                    "rmtland spectrum)", optional=True),
)

# -- simulate hessian -------------------------------------------------------------------------
HESSIAN = (
    _f("phi", "number", "1", "phi = n/m asked for (PB17)"),
    _f("eps", "number", "loss", "eps, the loss; H1 is a semicircle of variance 2 eps"),
    _f("n", "int", "1", "matrix size n (parameters)"),
    _f("m", "int", "1", "Wishart columns m = round(n/phi)"),
    _f("samples", "int", "1", "matrices sampled"),
    _f("seed", "int", "-", "root seed of the run"),
    _f("device", "str", "-", "device used (cpu or gpu)"),
    _f("dtype", "str", "-", "floating-point type of the matrices"),
    _f("method", "str", "-", "dense, slq or kpm"),
    _f("probes", "int", "1", "random probes (matrix-free methods only)", optional=True),
    _f("steps", "int", "1", "Lanczos steps per probe (slq only)", optional=True),
    _f("degree", "int", "1", "Chebyshev degree (kpm only)", optional=True),
    _f("operator", "str", "-", "how the matrix-free operator is built (matrix-free only)",
       optional=True),
    _f("matvecs", "int", "1", "matrix-vector products (0 for dense)"),
    _f("phi_effective", "number", "1", "realised ratio phi_eff = n/m, where the theory is "
                                       "evaluated"),
    _f("empirical_index", "number", "1", "measured index alpha (fraction of negative "
                                         "eigenvalues)"),
    _f("index_stderr", "number", "1", "standard error of empirical_index"),
    _f("theory_index", "number", "1", "PB17 index alpha(eps, phi_eff)"),
    _f("index_z", "number|null", "1", "(empirical_index - theory_index) / index_stderr"),
    _f("index_bias_bound", "number", "1", "bound on the quadrature bias of the index "
                                          "(matrix-free only)", optional=True),
    _f("ks_distance", "number", "1", "KS distance of the spectrum to the PB17 law"),
    _f("ks_stderr", "number", "1", "standard error of ks_distance (matrix-free only)",
       optional=True),
    _f("l1_distance", "number|null", "1", "L1 distance of densities (null with an atom or "
                                          "matrix-free)"),
    _f("support", "list", "eigenvalue", "support intervals [lo, hi] of the PB17 law"),
    _f("eps_c", "number", "loss", "critical loss eps_c(phi_eff), below which alpha = 0"),
) + _RUN

# -- simulate spinglass -----------------------------------------------------------------------
SPINGLASS = (
    _f("p", "int", "1", "interaction order p of the spherical p-spin"),
    _f("N", "int", "1", "number of spins N"),
    _f("starts", "int", "1", "random starts of each search"),
    _f("seed", "int", "-", "root seed of the run"),
    _f("device", "str", "-", "device used"),
    _f("critical_points", "int", "1", "distinct critical points found"),
    _f("minima", "int", "1", "those of index k = 0"),
    _f("minima_energy_mean", "number|null", "energy/site", "mean u of the minima"),
    _f("minima_energy_std", "number|null", "energy/site", "standard deviation of u over the "
                                                          "minima (null below 2)"),
    _f("lowest_energy", "number|null", "energy/site", "lowest u found"),
    _f("E_0", "number", "energy/site", "E_0 (ABC13 Eq. 2.13): minima lie above u = -E_0"),
    _f("E_inf", "number", "energy/site", "E_inf = 2 sqrt((p-1)/p) (ABC13 Thm. 2.5)"),
    _f("max_gradient_norm", "number|null", "energy/site", "largest |P grad H|_2 / N over the "
                                                          "points"),
    _f("gradient_norm_definition", "str", "-", "what max_gradient_norm measures"),
    _f("index_fraction_mean_abs_error", "number|null", "1", "mean |k/(N-1) - F_sc(2u/E_inf)| "
                                                            "against the semicircle law"),
    _f("minima_fraction_above_minus_E_inf", "number|null", "1", "fraction of minima with "
                                                                "u > -E_inf"),
    _f("minima_fraction_in_band", "number|null", "1", "fraction with -E_0 <= u <= -E_inf"),
    _f("minima_fraction_below_minus_E_0", "number|null", "1", "fraction with u < -E_0"),
    _f("index_shift_mean", "number|null", "1", "mean shift of k against the semicircle law"),
    _f("index_shift_stderr", "number|null", "1", "its standard error"),
    _f("index_shift_points", "int", "1", "points behind index_shift_mean"),
    _f("index_shift_negative_u_mean", "number|null", "1", "the same at u < 0"),
    _f("index_shift_negative_u_stderr", "number|null", "1", "its standard error"),
    _f("index_shift_negative_u_points", "int", "1", "points with u < 0"),
    _f("index_histogram", "list", "1", "critical points of each index k = 0, 1, ..."),
    _f("points", "object", "-", "every distinct critical point"),
    _f("points.energy_per_site", "list", "energy/site", "u of each point"),
    _f("points.index", "list", "1", "index k of each point"),
    _f("points.minima_energy_per_site", "list", "energy/site", "u of each minimum"),
) + _RUN

# -- simulate network -------------------------------------------------------------------------
_SPREAD = (_f("median", "number", "1", "median"), _f("min", "number", "1", "smallest"),
           _f("max", "number", "1", "largest"))
_FREENESS_TABLE_KS = (
    _f("points", "int", "1", "points with this distance"),
    _f("median", "number|null", "1", "median distance"),
    _f("p_points", "int", "1", "points with a p-value"),
    _f("median_p", "number|null", "1", "median p-value"),
    _f("rejected", "number|null", "1", "fraction of points with p <= level"),
    _f("rejected_stderr", "number|null", "1", "binomial standard error of rejected"),
    _f("reference_median", "number|null", "1", "median PB-model reference distance"),
    _f("above", "number|null", "1", "fraction of points above every PB-model draw"),
)
_KS = "{ks_free_convolution, ks_rotated, ks_pennington_bahri}"
NETWORK = (
    _f("hidden", "int", "1", "hidden width"),
    _f("depth", "int", "1", "hidden layers"),
    _f("inputs", "int", "1", "input dimension d the network gets"),
    _f("pixels", "int", "1", "pooled image size asked for (digits only)", optional=True),
    _f("inputs_note", "str", "-", "what became of the pixels (digits only)", optional=True),
    _f("outputs", "int", "1", "outputs k"),
    _f("samples", "int", "1", "samples m"),
    _f("activation", "str", "-", "activation function"),
    _f("data", "str", "-", "data set (gaussian, digits, ...)"),
    _f("bias", "bool", "-", "biases in the network"),
    _f("starts", "int", "1", "random networks per descent snapshot"),
    _f("steps", "list", "1", "gradient-descent steps of each snapshot"),
    _f("searches", "int", "1", "critical-point searches = starts * len(steps)"),
    _f("downsample", "int|null", "1", "image pooling factor (digits; null otherwise)"),
    _f("whiten", "bool", "-", "inputs whitened"),
    _f("seed", "int", "-", "root seed of the run"),
    _f("device", "str", "-", "device used"),
    _f("parameters", "int", "1", "parameters n"),
    _f("phi", "number", "1", "phi = n/(k m)"),
    _f("critical_points", "list", "-", "every distinct critical point, by loss"),
    _f("critical_points[].loss", "number", "loss", "its loss eps"),
    _f("critical_points[].index", "number", "1", "its index alpha (fraction)"),
    _f("critical_points[].index_count", "int", "1", "negative eigenvalues of H"),
    _f("critical_points[].grad_norm", "number", "1", "gradient norm |grad L|"),
    _f("critical_points[].zero_modes", "int", "1", "zero eigenvalues of H"),
    _f("critical_points[].max_preactivation", "number", "1", "largest |z| over hidden units "
                                                             "and samples"),
    _f("critical_points[].norm_growth", "number", "1", "parameter norm over its start's"),
    _f("critical_points[].multiplicity", "int", "1", "searches that ended at this point"),
    _f("critical_points[].phi", "number", "1", "phi = n/(k m), as at the top"),
    _f("critical_points[].freeness", "object", "-", "the freeness test of H0 and H1"),
    _f("critical_points[].freeness.tested", "bool", "-", "whether the point was tested"),
    _f("critical_points[].freeness.ks_free_convolution", "number|null", "1",
       "KS of spec(H) to the free convolution of spec(H0), spec(H1) (tested only)",
       optional=True),
    _f("critical_points[].freeness.ks_rotated", "number|null", "1",
       "KS of spec(H) to spec(H0 + Q H1 Q^T), Q Haar (tested only)", optional=True),
    _f("critical_points[].freeness.ks_pennington_bahri", "number|null", "1",
       "KS of spec(H) to the PB17 law at the matched (phi, eps) (tested only)", optional=True),
    _f("critical_points[].freeness.p_value", "object|null", "-", "p-value of each distance "
                                                                 "against the Haar null"),
    _f("critical_points[].freeness.p_value.*", "number|null", "1", "p-value of one of " + _KS),
    _f("critical_points[].freeness.null_draws", "int", "1", "Haar rotations R of the null"),
    _f("critical_points[].freeness.null", "object", "-", "the null's distances (tested only)",
       optional=True),
    _f("critical_points[].freeness.null.*", "object|null", "-", "one of " + _KS),
    _f("critical_points[].freeness.null.*.mean", "number", "1", "mean null distance"),
    _f("critical_points[].freeness.null.*.q95", "number", "1", "95% quantile of the null "
                                                               "distance"),
    _f("critical_points[].freeness.null_model", "str", "-", "the null, in words (tested only)",
       optional=True),
    _f("critical_points[].freeness.p_value_pb_model", "object|null", "-", "p-values against "
       "the PB-model draws (tested only)", optional=True),
    _f("critical_points[].freeness.p_value_pb_model.*", "number|null", "1",
       "p-value of one of " + _KS + " against the PB-model draws"),
    _f("critical_points[].freeness.pb_model_draws", "int", "1", "PB-model draws R' (tested "
                                                                "only)", optional=True),
    _f("critical_points[].freeness_error", "str", "-", "why the test failed, if it did",
       optional=True),
    _f("critical_points[].matched", "object", "-", "the PB17 model matched to the point "
                                                   "(tested only)", optional=True),
    _f("critical_points[].matched.phi", "number", "1", "matched phi"),
    _f("critical_points[].matched.eps", "number", "loss", "matched eps"),
    _f("critical_points[].matched.c", "number", "1", "matched scale c of the Hessian"),
    _f("critical_points[].theory_index", "number", "1", "PB17 alpha at the matched "
                                                        "(phi, eps) (tested only)",
       optional=True),
    _f("critical_points[].reference", "object", "-", "PB-model reference distances "
                                                     "(with reference_samples > 0)",
       optional=True),
    _f("critical_points[].reference.*", "object", "-", "one of " + _KS),
    _f("critical_points[].reference.*.mean", "number|null", "1", "mean model distance"),
    _f("critical_points[].reference.*.max", "number|null", "1", "largest model distance"),
    _f("critical_points[].reference.*.values", "list", "1", "each model draw's distance"),
    _f("status", "object", "-", "the finder's outcome of each search"),
    _f("status.*", "int", "1", "searches ending critical, at_infinity, gradient_flat, "
                               "not_converged, not_minimum"),
    _f("rejected_gradient_flat", "int", "1", "searches rejected as gradient-flat (= "
                                             "status.gradient_flat)"),
    _f("at_infinity", "int", "1", "searches run off to infinity (= status.at_infinity)"),
    _f("at_infinity_starts", "list", "-", "each start put at infinity"),
    _f("at_infinity_starts[].zmax", "number", "1", "largest |pre-activation|"),
    _f("at_infinity_starts[].max_preactivation", "number", "1", "the same as zmax"),
    _f("at_infinity_starts[].saturated", "int", "1", "saturated (sample, unit) pairs"),
    _f("at_infinity_starts[].saturated_units", "int", "1", "units saturated on every sample"),
    _f("at_infinity_starts[].norm_growth", "number", "1", "parameter norm over its start's"),
    _f("at_infinity_starts[].loss", "number", "loss", "its loss"),
    _f("at_infinity_starts[].zero_modes", "int", "1", "zero eigenvalues of H"),
    _f("at_infinity_starts[].index_count", "int", "1", "negative eigenvalues of H"),
    _f("at_infinity_starts[].converged", "bool", "-", "the search converged"),
    _f("finiteness", "object", "-", "finite and at-infinity counts with the rule"),
    _f("finiteness.rule", "str", "-", "the rule, in words"),
    _f("finiteness.z_finite", "number|null", "1", "bound on |pre-activation| (null: none)"),
    _f("finiteness.symmetry_zero_modes", "int", "1", "zero modes of the exact symmetries"),
    _f("finiteness.allowed_zero_modes", "int|null", "1", "zero modes allowed at a minimum"),
    _f("finiteness.finite_starts", "int", "1", "searches ending at a finite critical point"),
    _f("finiteness.at_infinity_starts", "int", "1", "searches put at infinity (a count, "
                                                    "unlike the top-level list)"),
    _f("finiteness.at_infinity_converged", "int", "1", "of those, converged ones"),
    _f("finiteness.at_infinity_converged_by_zmax", "int", "1", "converged ones beyond "
                                                               "z_finite"),
    *(f for k, what in (("max_preactivation", "largest |pre-activation|"),
                        ("norm_growth", "parameter-norm growth"), ("zero_modes", "zero modes"))
      for f in (_f("finiteness." + k, "object|null", "-",
                   what + " over the at-infinity starts (null: none)"),)
      + _under("finiteness." + k, _SPREAD)),
    _f("fit", "object", "-", "the 3/2-law fit alpha = alpha0 |(eps - eps_c)/eps_c|^gamma "
                             "over points with a positive index"),
    _f("fit.eps_c", "number|null", "loss", "fitted eps_c (null: no fit)"),
    _f("fit.exponent", "number|null", "1", "fitted exponent gamma (3/2 in PB17)"),
    _f("fit.alpha0", "number|null", "1", "fitted alpha0"),
    _f("fit.note", "str", "-", "why there is no fit", optional=True),
    _f("fit.eps_c_stderr", "number|null", "loss", "standard error of eps_c", optional=True),
    _f("fit.exponent_stderr", "number|null", "1", "standard error of gamma", optional=True),
    _f("fit.alpha0_stderr", "number|null", "1", "standard error of alpha0", optional=True),
    _f("fit.points", "int", "1", "points fitted", optional=True),
    _f("fit.at_bound", "bool", "-", "a parameter ended at its bound", optional=True),
    _f("fit.chi2", "number|null", "1", "chi-squared of the fit", optional=True),
    _f("fit.dof", "int", "1", "degrees of freedom of chi2", optional=True),
    _f("freeness_table", "list", "-", "freeness tests grouped by data, phi and loss bin"),
    _f("freeness_table[].data", "str", "-", "task label"),
    _f("freeness_table[].phi", "number", "1", "phi of the group"),
    _f("freeness_table[].eps_lo", "number", "loss", "lower edge of the loss bin"),
    _f("freeness_table[].eps_hi", "number", "loss", "upper edge of the loss bin"),
    _f("freeness_table[].points", "int", "1", "points in the group"),
    _f("freeness_table[].level", "number", "1", "test level of a rejection (not the sizes' "
                                                "level)"),
    _f("freeness_table[].null_draws", "int|null", "1", "smallest R of the group"),
    _f("freeness_table[].rejected_if_free", "number|null", "1",
       "rejection rate under freeness, floor(level (R+1))/(R+1)"),
    _f("freeness_table[].rejected_if_free_stderr", "number|null", "1", "its binomial "
                                                                       "standard error"),
    _f("freeness_table[].draws", "int|null", "1", "PB-model draws R' of the group"),
    _f("freeness_table[].above_if_free", "number|null", "1", "1/(R'+1), the rate of `above` "
                                                             "under freeness"),
    _f("freeness_table[].above_if_free_stderr", "number|null", "1", "its binomial standard "
                                                                    "error"),
    _f("freeness_table[].*", "object|null", "-", "per distance, one of " + _KS),
    *_under("freeness_table[].*", _FREENESS_TABLE_KS),
    _f("memorisation", "object|null", "-", "mean loss of the minima against PB17's "
                                           "(1 - phi)^2 / 2 (gaussian data with minima)"),
    _f("memorisation.prediction", "number", "loss", "(1 - phi)^2 / 2 for phi < 1, else 0"),
    _f("memorisation.minima_mean_loss", "number", "loss", "mean loss of the distinct finite "
                                                          "minima"),
    _f("memorisation.minima", "int", "1", "distinct finite minima"),
    _f("memorisation.statistic", "str", "-", "the statistic, in words"),
    _f("memorisation.note", "str", "-", "what it is not"),
) + _RUN

# -- simulate trained -------------------------------------------------------------------------
_TRAINED_CONFIG = (
    ("widths", "list", "1", "hidden widths"), ("networks", "int", "1", "networks per width"),
    ("activations", "list", "-", "activations of the loss study"),
    ("classes", "list", "1", "class counts K of the Hessian study"),
    ("hessian_width", "int", "1", "hidden width of the Hessian study"),
    ("hessian_networks", "int", "1", "networks per K"),
    ("hessian_activation", "str", "-", "activation of the Hessian study"),
    ("inputs", "str", "-", "input scaling"), ("downsample", "int", "1", "image pooling factor"),
    ("train_size", "int|null", "1", "training samples (null: the split's)"),
    ("bias", "bool", "-", "biases"), ("init", "str", "-", "initialisation"),
    ("optimizer", "str", "-", "optimiser"), ("momentum", "number", "1", "momentum"),
    ("lr", "number", "1", "learning rate"), ("lr_decay", "number", "1", "learning-rate decay"),
    ("batch_size", "int", "1", "batch size"), ("epochs", "int", "1", "largest epochs"),
    ("stop", "str", "-", "stopping rule"), ("patience", "int", "1", "epochs of patience"),
    ("tol", "number", "1", "relative loss tolerance of the stopping rule"),
    ("grad_tol", "number", "1", "converged: |grad L| <= grad_tol |grad L(theta_0)|"),
    ("seed", "int", "-", "root seed"), ("device", "str", "-", "device asked for"))
_WIDTH_ROW = (
    _f("activation", "str", "-", "activation"),
    _f("width", "int", "1", "hidden width"),
    _f("parameters", "int", "1", "parameters n"),
    _f("networks", "int", "1", "networks that did not diverge"),
    _f("train_mean", "number|null", "loss", "mean training loss over the networks"),
    _f("train_std", "number|null", "loss", "standard deviation of the training loss"),
    _f("test_mean", "number|null", "loss", "mean test loss"),
    _f("test_std", "number|null", "loss", "standard deviation of the test loss"),
    _f("train_mean_stderr", "number|null", "loss", "standard error of train_mean"),
    _f("train_std_stderr", "number|null", "loss", "standard error of train_std"),
    _f("test_mean_stderr", "number|null", "loss", "standard error of test_mean"),
    _f("test_std_stderr", "number|null", "loss", "standard error of test_std"),
    _f("train_max", "number|null", "loss", "largest training loss"),
    _f("test_max", "number|null", "loss", "largest test loss"),
    _f("correlation", "number|null", "1", "train-test correlation of the losses"),
    _f("correlation_stderr", "number|null", "1", "its standard error"),
    _f("correlation_lo", "number|null", "1", "Fisher-z 95% interval, lower end"),
    _f("correlation_hi", "number|null", "1", "Fisher-z 95% interval, upper end"),
    _f("converged_fraction", "number", "1", "fraction that reached a minimum "
                                            "(converged_rule)"),
    _f("grad_ratio_median", "number|null", "1", "median |grad L(theta_E)| / |grad "
                                                "L(theta_0)|"),
    _f("grad_ratio_quantiles", "list|null", "1", "its 5%, 50%, 95% quantiles"),
    _f("stopped_fraction", "number", "1", "fraction stopped early"),
    _f("diverged", "int", "1", "networks that diverged"),
    _f("epochs_mean", "number", "1", "mean epochs trained"),
    _f("epochs_max", "int", "1", "most epochs trained"),
    _f("seconds", "number", "s", "time of this width"),
)
_SPREAD_FIT = (
    _f("slope", "number|null", "1", "slope of log std(loss) against log width"),
    _f("stderr", "number|null", "1", "its OLS standard error"),
    _f("prefactor", "number|null", "loss", "prefactor of the power law"),
    _f("z", "number|null", "1", "slope / stderr"),
    _f("points", "int", "1", "widths fitted"),
    _f("activation", "str", "-", "activation"),
    _f("loss", "str", "-", "train or test loss"),
)
_HESSIAN_ROW = (
    ("classes", "int", "1", "classes K"), ("width", "int", "1", "hidden width"),
    ("activation", "str", "-", "activation"), ("parameters", "int", "1", "parameters n"),
    ("samples", "int", "1", "training samples m"),
    ("networks", "int", "1", "networks that did not diverge"),
    ("outliers", "list", "1", "outliers of H above the bulk, per network"),
    ("outliers_mean", "number", "1", "their mean"),
    ("outliers_stderr", "number|null", "1", "its standard error"),
    ("outliers_h0", "number", "1", "mean outliers of H0"),
    ("outliers_h0_each", "list", "1", "outliers of H0 per network"),
    ("outliers_gap", "number", "1", "mean outliers by the gap rule"),
    ("outliers_gap_stderr", "number|null", "1", "its standard error"),
    ("outliers_gap_each", "list", "1", "outliers by the gap rule per network"),
    ("rule", "str", "-", "the outlier rule used"),
    ("rule_valid", "bool", "-", "the rule's conditions held for every network"),
    ("angles", "list", "deg", "angles of the class-mean directions to the top "
                              "eigenvectors, per network"),
    ("angle_max", "number|null", "deg", "mean largest angle"),
    ("angle_max_stderr", "number|null", "deg", "its standard error"),
    ("bulk_edge", "number", "eigenvalue", "mean right edge b of the bulk"),
    ("bulk_edge_stderr", "number|null", "eigenvalue", "its standard error"),
    ("ks_bulk", "number", "1", "mean KS of the bulk to the fitted PB17 law"),
    ("ks_bulk_stderr", "number|null", "1", "its standard error"),
    ("ks_bulk_h0", "number", "1", "the same for H0 against Marchenko-Pastur"),
    ("phi", "number", "1", "phi matched to the moments of H0/c (not n/(K m))"),
    ("phi_nominal", "number", "1", "phi = n/(K m)"),
    ("eps", "number", "1", "eps of the PB17 law matched to the moments of H/c"),
    ("negative_fraction", "number", "1", "mean index alpha of H"),
    ("top", "number", "eigenvalue", "mean top eigenvalue of H"),
    ("bulk_converged", "bool", "-", "every bulk fit converged"),
    ("train_loss", "number", "loss", "mean training loss"),
    ("test_loss", "number", "loss", "mean test loss"),
    ("converged_fraction", "number", "1", "fraction that reached a minimum"),
    ("grad_ratio_median", "number|null", "1", "median gradient ratio"))
_LINE = (_f("slope", "number|null", "1", "slope"),
         _f("slope_stderr", "number|null", "1", "its standard error"),
         _f("intercept", "number|null", "1", "intercept"),
         _f("intercept_stderr", "number|null", "1", "its standard error"),
         _f("points", "int", "1", "points fitted"))
_POWER = (_f("exponent", "number|null", "1", "power-law exponent"),
          _f("stderr", "number|null", "1", "its standard error"),
          _f("prefactor", "number|null", "eigenvalue", "prefactor"))
TRAINED = (
    _f("config", "object", "-", "every setting (TrainedConfig)"),
    *(_f("config." + n, t, u, m) for n, t, u, m in _TRAINED_CONFIG),
    _f("widths", "list", "-", "one row per activation and width (the loss study)"),
    *_under("widths[]", _WIDTH_ROW),
    _f("spread_fit", "object|null", "-", "the test-loss spread fit of the first activation"),
    *_under("spread_fit", _SPREAD_FIT),
    _f("spread_fits", "list", "-", "every spread fit"),
    *_under("spread_fits[]", _SPREAD_FIT),
    _f("hessian", "list", "-", "one row per class count K (the Hessian study)"),
    *(_f("hessian[]." + n, t, u, m) for n, t, u, m in _HESSIAN_ROW),
    _f("hessian_fits", "object", "-", "fits over K (empty without classes)"),
    *(f for k in ("outliers", "outliers_h0", "outliers_gap") for f in (
        _f(f"hessian_fits.{k}_vs_classes", "object", "-", f"line fit of {k} against K",
           optional=True),) + _under(f"hessian_fits.{k}_vs_classes", _LINE)),
    _f("hessian_fits.bulk_edge_vs_classes", "object", "-", "power law of bulk_edge in K",
       optional=True),
    *_under("hessian_fits.bulk_edge_vs_classes", _POWER),
    _f("converged_rule", "str", "-", "the converged rule, in words"),
    _f("grad_tol", "number", "1", "config.grad_tol"),
    _f("networks", "int", "1", "config.networks"),
    _f("activations", "list", "-", "config.activations"),
    _f("schedule", "object", "-", "the training schedule as run"),
    _f("schedule.optimizer", "str", "-", "the optimiser, in words"),
    _f("schedule.lr", "number", "1", "learning rate"),
    _f("schedule.momentum", "number", "1", "momentum"),
    _f("schedule.batch_size", "int", "1", "batch size"),
    _f("schedule.decay_epochs", "int|null", "1", "epochs between learning-rate decays"),
    _f("schedule.max_epochs", "int", "1", "largest epochs"),
    _f("schedule.stop", "str", "-", "stopping rule"),
    _f("schedule.patience", "int", "1", "epochs of patience"),
    _f("schedule.tol", "number", "1", "relative loss tolerance"),
    _f("schedule.grad_tol", "number", "1", "gradient tolerance of converged"),
    _f("schedule.loss_floor", "number", "loss", "loss below which training stops"),
    _f("schedule.stopping_rule", "str", "-", "the stopping rule, in words"),
    _f("schedule.converged_rule", "str", "-", "the converged rule, as a formula"),
    _f("test_fraction", "number", "1", "fraction of the data held out for testing"),
    _f("seed", "int", "-", "root seed"),
    _f("device", "str", "-", "device used"),
) + _RUN

# -- fit --------------------------------------------------------------------------------------
FIT = _FIT + (
    _f("spectrum", "str", "-", "the input file"),
    _f("config", "object", "-", "the settings (FitConfig)"),
    _f("config.law", "str", "-", "law asked for"),
    _f("config.phi", "number|null", "1", "phi held fixed (null: fitted)"),
    _f("config.rule", "str", "-", "outlier rule"),
    _f("config.bootstrap", "int", "1", "bootstrap replicates"),
    _f("config.spikes", "list|null", "eigenvalue", "spike strengths theta to predict outliers "
                                                   "of (null: none)"),
    _f("config.spike_kind", "str", "-", "additive or covariance"),
    _f("config.seed", "int", "-", "seed of the bootstrap"),
) + _RUN

# -- spectrum (torch) -------------------------------------------------------------------------
_COUNT = (_f("fraction", "number", "1", "fraction of the eigenvalues"),
          _f("stderr", "number", "1", "its standard error (0 for dense)"),
          _f("bias_bound", "number", "1", "bound on its quadrature bias (0 for dense)"),
          _f("count", "number", "1", "the eigenvalue count, n * fraction"),
          _f("count_stderr", "number", "1", "its standard error"),
          _f("count_bias_bound", "number", "1", "bound on its bias"))
_BLOCK = (
    _f("n", "int", "1", "size of the block"),
    _f("phi", "number", "1", "phi = n/(k m) of the block"),
    _f("method", "str", "-", "dense, slq or kpm"),
    _f("probes", "int", "1", "random probes (matrix-free)", optional=True),
    _f("steps", "int", "1", "Lanczos steps (slq)", optional=True),
    _f("degree", "int", "1", "Chebyshev degree (kpm)", optional=True),
    _f("matvecs", "int", "1", "Hessian-vector products (matrix-free)", optional=True),
    _f("index", "number", "1", "index alpha (fraction of negative eigenvalues)"),
    _f("index_stderr", "number", "1", "its standard error (0 for dense)"),
    _f("index_bias_bound", "number", "1", "bound on its quadrature bias (0 for dense)"),
    _f("trace", "number", "eigenvalue", "trace of the block"),
    _f("trace_stderr", "number", "eigenvalue", "its standard error (0 for dense)"),
    _f("lambda_min", "number", "eigenvalue", "smallest eigenvalue"),
    _f("lambda_min_residual", "number", "eigenvalue", "its residual |Bv - lambda v|"),
    _f("lambda_max", "number", "eigenvalue", "largest eigenvalue"),
    _f("lambda_max_residual", "number", "eigenvalue", "its residual"),
    _f("counts", "object", "-", "eigenvalues below -tau, within tau of 0, above tau"),
    _f("counts.tau", "number", "eigenvalue", "the threshold tau"),
    *(f for k in ("below", "near_zero", "above") for f in
      (_f("counts." + k, "object", "-", f"the eigenvalues {k.replace('_', ' ')}"),)
      + _under("counts." + k, _COUNT)),
    _f("top", "object", "-", "the largest eigenvalues (with top > 0)", optional=True),
    _f("top.eigenvalues", "list", "eigenvalue", "largest first"),
    _f("top.residuals", "list", "eigenvalue", "their residuals"),
    _f("top.converged", "list", "-", "whether each converged"),
)
SPECTRUM = (
    _f("target", "str", "-", "MODULE:FUNCTION that built the model, loss and data"),
    _f("config", "object", "-", "the settings (SpectrumConfig)"),
    _f("config.target", "str", "-", "the target"),
    _f("config.parts", "list", "-", "parts asked for (H, H0, H1)"),
    _f("config.layers", "list|null", "-", "layers asked for (null: all)"),
    _f("config.each_layer", "bool", "-", "a block per layer too"),
    _f("config.method", "str", "-", "method asked for (auto, dense, slq, kpm)"),
    _f("config.probes", "int", "1", "random probes"),
    _f("config.steps", "int", "1", "Lanczos steps"),
    _f("config.degree", "int", "1", "Chebyshev degree"),
    _f("config.top", "int", "1", "largest eigenvalues asked for"),
    _f("config.tau", "number|null", "eigenvalue", "threshold asked for (null: relative)"),
    _f("config.seed", "int", "-", "seed of the probes"),
    _f("config.fit", "str|null", "-", "law fitted to each part (null: none)"),
    _f("config.fit_phi", "str|number", "1", "phi of the fit: architecture, free or a number"),
    _f("config.outliers", "str", "-", "outlier rule of the fit"),
    _f("config.bootstrap", "int", "1", "bootstrap replicates of the fit"),
    _f("model", "object", "-", "the model and loss (TorchHessian.summary)"),
    _f("model.n", "int", "1", "parameters n"),
    _f("model.k", "int", "1", "outputs k"),
    _f("model.m", "int", "1", "samples m"),
    _f("model.phi", "number", "1", "phi = n/(k m)"),
    _f("model.loss", "number", "loss", "the loss L in PB17's normalisation"),
    _f("model.loss_kind", "str", "-", "squared or another loss"),
    _f("model.reduction", "str", "-", "the loss object's reduction"),
    _f("model.scale", "number", "1", "the loss object's value over L (MSELoss mean: 2)"),
    _f("model.grad_norm", "number", "1", "|grad L|"),
    _f("model.dtype", "str", "-", "floating-point type"),
    _f("model.device", "str", "-", "torch device"),
    _f("model.layers", "object", "-", "layer name -> parameters"),
    _f("model.layers.*", "int", "1", "parameters of one layer"),
    _f("model.shapes", "object", "-", "parameter name (e.g. 0.weight) -> its shape"),
    _f("model.shapes.*", "list", "1", "shape of one parameter tensor"),
    _f("eps", "number|null", "loss", "eps = model.loss for the squared loss (null otherwise)"),
    _f("tau", "number", "eigenvalue", "threshold tau of the counts"),
    _f("method", "str", "-", "method used"),
    _f("parts", "object", "-", "part (H, H0, H1) -> its spectra"),
    _f("parts.*", "object", "-", "one part"),
    _f("parts.*.all", "object", "-", "the whole part"),
    *_under("parts.*.all", _BLOCK),
    _f("parts.*.all.fit", "object", "-", "fit_law of the part (with config.fit)",
       optional=True),
    *_under("parts.*.all.fit", _FIT),
    _f("parts.*.all.seconds", "number", "s", "time of this part"),
    _f("parts.*.layers", "object", "-", "layer name -> its diagonal block"),
    _f("parts.*.layers.*", "object", "-", "one layer's block"),
    *_under("parts.*.layers.*", _BLOCK),
) + _RUN

# -- freeness scaling -------------------------------------------------------------------------
_FS_TEST = (
    ("ks_mean", "1", "mean KS distance over the points"), ("ks_se", "1", "its standard error"),
    ("null_mean_mean", "1", "mean of the points' null means"),
    ("null_mean_se", "1", "its standard error"),
    ("ratio_mean", "1", "mean ks / null_mean"), ("ratio_se", "1", "its standard error"),
    ("excess_mean", "1", "mean ks - null_mean"), ("excess_se", "1", "its standard error"),
    ("reject_fraction", "1", "fraction of tested points with p <= level"),
    ("reject_se", "1", "its binomial standard error"))
_FS_POINT = (("ks", "KS distance"), ("null_mean", "mean null distance"),
             ("p_value", "Monte Carlo p-value"), ("ratio", "ks / null_mean"),
             ("excess", "ks - null_mean"))
FREENESS_SCALING = (
    _f("config", "object", "-", "the settings (FreenessScalingConfig)"),
    _f("config.ladder", "list", "1", "rungs (d, h, k): inputs, hidden width, outputs"),
    _f("config.phis", "list", "1", "the ratios phi = n/(k m) held fixed"),
    _f("config.units", "int", "1", "data sets, each with its network (the independent unit), "
                                   "per size and phi"),
    _f("config.eps_target", "number", "loss", "target loss eps of the points"),
    _f("config.stride", "int", "1", "descent steps between loss checks"),
    _f("config.max_steps", "int", "1", "largest descent steps"),
    _f("config.null_draws", "int", "1", "Haar rotations R per p-value for n <= large_n"),
    _f("config.null_draws_large", "int", "1", "R for n > large_n"),
    _f("config.large_n", "int", "1", "size from which null_draws_large applies"),
    _f("config.rotations", "int", "1", "pooled Haar spectra of distance (b), ks_rotated"),
    _f("config.grid", "int", "1", "density nodes of distance (a), ks_free_convolution"),
    _f("config.rotate_h1", "bool", "-", "the free control: H1 -> Q H1 Q^T"),
    _f("config.level", "number", "1", "test level"),
    _f("config.max_operations", "number", "1", "the work allowed (operations)"),
    _f("config.seed", "int", "-", "root seed"),
    _f("rows", "list", "-", "one row per (phi, rung)"),
    _f("rows[].d", "int", "1", "inputs d"), _f("rows[].h", "int", "1", "hidden width h"),
    _f("rows[].k", "int", "1", "outputs k"), _f("rows[].n", "int", "1", "parameters n"),
    _f("rows[].m", "int", "1", "samples m"),
    _f("rows[].phi", "number", "1", "phi asked for"),
    _f("rows[].phi_realised", "number", "1", "n/(k m) realised"),
    _f("rows[].phi_index", "int", "1", "position of phi in config.phis"),
    _f("rows[].rung", "int", "1", "position of the rung in config.ladder"),
    _f("rows[].null_draws", "int", "1", "R of this rung"),
    _f("rows[].units", "int", "1", "points"),
    _f("rows[].p_floor", "number", "1", "smallest p-value possible, 1/(R+1)"),
    _f("rows[].loss_mean", "number", "loss", "mean loss eps of the points"),
    _f("rows[].loss_se", "number", "loss", "its standard error"),
    _f("rows[].h1_ratio_mean", "number", "1", "mean ||H1||_F / ||H0||_F"),
    _f("rows[].h1_ratio_se", "number", "1", "its standard error"),
    _f("rows[].eps_matched_mean", "number", "loss", "mean eps of the matched PB17 law"),
    _f("rows[].eps_matched_se", "number", "loss", "its standard error"),
    _f("rows[].steps_mean", "number", "1", "mean descent steps"),
    _f("rows[].reached", "int", "1", "points that reached eps_target"),
    _f("rows[].*", "object", "-", "per distance, one of " + _KS),
    *(_f("rows[].*." + n, "number|null", u, m) for n, u, m in _FS_TEST),
    _f("rows[].*.p_values", "list", "1", "p-value of each point"),
    _f("rows[].*.tested", "int", "1", "points tested"),
    _f("rows[].*.rejected", "int", "1", "points with p <= level"),
    _f("rows[].points", "list", "-", "each point"),
    _f("rows[].points[].loss", "number", "loss", "its loss eps"),
    _f("rows[].points[].steps", "int", "1", "descent steps"),
    _f("rows[].points[].reached", "bool", "-", "reached eps_target"),
    _f("rows[].points[].h1_ratio", "number", "1", "||H1||_F / ||H0||_F"),
    _f("rows[].points[].eps_matched", "number", "loss", "eps of the matched PB17 law"),
    _f("rows[].points[].*", "object", "-", "per distance, one of " + _KS),
    *(_f("rows[].points[].*." + n, "number|null", "1", m) for n, m in _FS_POINT),
    _f("rows[].seconds", "number", "s", "time of the row"),
    _f("fits", "object", "-", "phi (as text) -> power-law fits against n"),
    _f("fits.*", "object", "-", "fits at one phi"),
    _f("fits.*.*", "object", "-", "per distance, one of " + _KS),
    _f("fits.*.*.*", "object", "-", "per statistic (ks, null_mean, ratio, excess)"),
    _f("fits.*.*.*.slope", "number|null", "1", "exponent of the statistic in n"),
    _f("fits.*.*.*.stderr", "number|null", "1", "its standard error (null: 2 sizes)"),
    _f("fits.*.*.*.prefactor", "number|null", "1", "prefactor"),
    _f("fits.*.*.*.sizes", "int", "1", "sizes fitted"),
    _f("level", "number", "1", "test level (= config.level)"),
    _f("seconds", "number", "s", "wall-clock time of the study"),
)

# -- reproduce's run manifest -----------------------------------------------------------------
REPRODUCE = (
    _f("out", "str", "-", "output directory"),
    _f("files", "list", "-", "every path written"),
    _f("rmtland_version", "str", "-", "rmtland's version"),
    _f("level", "str", "-", "sizes: smoke, quick or full (not a test level)"),
    _f("seconds", "object", "-", "figure name -> its time, and total"),
    _f("seconds.*", "number", "s", "time of one figure (total: the whole run)"),
    _f("table", "list", "-", "the PB17 theory table (theory_hessian.json)"),
    _f("table[].phi", "number", "1", "phi"),
    _f("table[].eps_c", "number", "loss", "eps_c(phi)"),
    _f("table[].alpha0", "number|null", "1", "prefactor alpha0(phi) of the 3/2 law"),
    _f("table[].index", "list", "-", "the index at each eps"),
    _f("table[].index[].eps", "number", "loss", "eps"),
    _f("table[].index[].alpha", "number", "1", "PB17 index alpha(eps, phi)"),
    _f("sweep", "object", "-", "the sweep's counts (full level only)", optional=True),
    *(_f("sweep." + k, t, "-", m, optional=True) for k, t, m in (
        ("total", "int", "points"), ("done", "int", "points done"),
        ("failed", "int", "points failed"), ("skipped", "int", "points already done"),
        ("table", "str|null", "path of the merged table"), ("runner", "str", "runner used"))),
)

# -- rmtland sweep's own result.json ----------------------------------------------------------
SWEEP = (
    _f("spec", "str", "-", "the spec's source (a path, or spec for a dict)"),
    _f("spec_hash", "str", "-", "SHA-256 of the canonical spec"),
    _f("kind", "str", "-", "the sweep kind"),
    _f("seed", "int", "-", "the sweep's seed"),
    _f("replicates", "list", "-", "replicate ids"),
    _f("device", "str", "-", "device asked for"),
    _f("runner", "str", "-", "in-process, distributed.LocalCluster, distributed.Client, ..."),
    _f("workers", "int", "1", "worker processes (0: in this process)", optional=True),
    _f("address", "str", "-", "the scheduler's address (an existing cluster)",
       optional=True),
    _f("total", "int", "1", "points"),
    _f("done", "int", "1", "points done"),
    _f("failed", "int", "1", "points failed"),
    _f("skipped", "int", "1", "points already done by an earlier run"),
    _f("computed", "int", "1", "points run now"),
    _f("seconds", "number", "s", "wall-clock time of the sweep"),
    _f("table", "str|null", "-", "path of the first table written"),
    _f("tables", "object", "-", "format -> path of each table written"),
    _f("tables.*", "str", "-", "path of one table"),
    _f("table_errors", "object", "-", "format -> error of each table writer that failed"),
    _f("table_errors.*", "str", "-", "the error"),
    _f("failures", "list", "-", "failed points (the first 50)"),
    _f("failures[].point", "str", "-", "the point's key"),
    _f("failures[].error", "str", "-", "its error"),
    _f("rmtland_version", "str", "-", "rmtland's version"),
) + _VERSIONS

#: study -> its fields (the keys name what runs: ``simulate <kind>``, ``fit``, ``spectrum``, ...)
STUDIES = {"hessian": HESSIAN, "spinglass": SPINGLASS, "network": NETWORK,
           "trained": TRAINED, "fit": FIT, "spectrum": SPECTRUM,
           "freeness_scaling": FREENESS_SCALING, "reproduce": REPRODUCE, "sweep": SWEEP}

# -- sweep tables -----------------------------------------------------------------------------
_LEAD = (_f("point", "str", "-", "the point's key (SHA-256 of kind, parameters, seed)"),
         _f("kind", "str", "-", "the sweep kind"),
         _f("replicate", "int", "1", "replicate id"),
         _f("seed", "int", "-", "the point's seed (uint64; reruns the point alone)"))
_TAIL = (_f("device", "str", "-", "device used"),
         _f("status", "str", "-", "done or failed"),
         _f("error", "str|null", "-", "the error of a failed point"),
         _f("seconds", "number", "s", "time of the point"))
#: for each sweep kind: (study whose scalar fields are columns, the object of the result they
#: come from ("" the top level, "widths[]" a row), fields the kind leaves out, columns the
#: kind derives itself, replacing a study field of the same name)
SWEEP_KINDS = {
    "hessian": ("hessian", "", ("files", "seed", "seconds"), ()),
    "spinglass": ("spinglass", "", ("files", "seed", "seconds", "gradient_norm_definition"), ()),
    "network": ("network", "", ("files", "seed", "seconds"), (
        _f("critical_points", "int", "1", "distinct critical points (the study's list, "
                                          "counted)"),
        _f("minima", "int", "1", "critical points of index 0"),
        _f("max_index_count", "int|null", "1", "largest negative-eigenvalue count"),
        _f("max_index", "number|null", "1", "largest index alpha"),
        _f("fit_eps_c", "number|null", "loss", "fit.eps_c"),
        _f("fit_exponent", "number|null", "1", "fit.exponent"),
        _f("memorisation", "object|null", "-", "the study's memorisation when null (a dict "
                                               "is left out)"),
        _f("memorisation_prediction", "number|null", "loss", "memorisation.prediction"),
        _f("minima_mean_loss", "number|null", "loss", "memorisation.minima_mean_loss"))),
    "trained": ("trained", "widths[]", ("activation", "width", "seconds"), ()),
    "figure": (None, "", (), (_f("figure_kind", "str", "-", "theory, simulation or both"),
                          _f("files", "int", "1", "files the figure wrote (a count)"))),
}


def _params_fields(kind):
    """The sweep kind's parameters as columns (name, type from the kind's default)."""
    from .sweep import KINDS
    k = KINDS[kind]
    return tuple(_f(p, "number|str|bool|null", "-", f"parameter {p} of kind {kind}")
                 for p in k.params)


def sweep_columns(kind):
    """The documented columns of a sweep table of ``kind``: lead, parameters, tail, the
    study's top-level scalar fields (less those the kind leaves out) and the kind's own
    columns (which replace a study field of the same name)."""
    study, prefix, drop, own = SWEEP_KINDS[kind]
    cols = {f.name: f for f in _LEAD + _params_fields(kind) + _TAIL}
    if study is not None:
        for f in STUDIES[study]:
            if prefix and not f.name.startswith(prefix + "."):
                continue
            name = f.name[len(prefix) + 1:] if prefix else f.name
            if ("." not in name and "[" not in name and name not in drop and name not in cols
                    and not {"list", "object"} & set(f.type.split("|"))):
                cols[name] = Field(name, f.type, f.unit, f.meaning, f.optional)
    for f in own:
        cols[f.name] = f
    return tuple(cols.values())


def fields(study):
    """The fields of ``study`` (a key of :data:`STUDIES`, or ``"sweep:<kind>"`` for a sweep
    table's columns)."""
    if study.startswith("sweep:"):
        return sweep_columns(study[len("sweep:"):])
    return STUDIES[study]


# -- the validator ----------------------------------------------------------------------------
def _segments(name):
    return tuple(name.replace("[]", ".[]").split("."))


def _match(pattern, path):
    return len(pattern) == len(path) and all(
        p == s or (p == "*" and s != "[]") for p, s in zip(pattern, path))


def _type_ok(value, type_):
    for t in type_.split("|"):
        if t == "null" and value is None:
            return True
        if t == "bool" and isinstance(value, bool):
            return True
        if t == "int" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if t == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if (t == "str" and isinstance(value, str) or t == "list" and isinstance(value, list)
                or t == "object" and isinstance(value, dict)):
            return True
    return False


def _nonfinite(value):
    """Whether ``value`` holds a NaN or an infinity (in any nested list)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return any(_nonfinite(v) for v in value)
    return False


def validate(study, result):
    """Problems of ``result`` (a study's ``result.json`` as a dict, or one row of a sweep
    table with ``study="sweep:<kind>"``) against :func:`fields`: a list of strings naming
    each undocumented field, missing documented field (not optional, its parent present),
    wrong type and NaN or infinity; empty when it agrees."""
    table = [(_segments(f.name), f) for f in fields(study)]
    problems = []

    def find(path):
        hits = [f for seg, f in table if _match(seg, path)]
        # the most specific pattern wins: fewer wildcards
        return min(hits, key=lambda f: f.name.count("*")) if hits else None

    def walk(obj, path):
        for key, value in obj.items():
            sub = path + (str(key),)
            where = ".".join(sub).replace(".[]", "[]")
            f = find(sub)
            if f is None:
                problems.append(f"{study}: undocumented field {where}")
                continue
            if not _type_ok(value, f.type):
                problems.append(f"{study}: {where} should be {f.type}, got "
                                f"{type(value).__name__}")
                continue
            if _nonfinite(value):
                problems.append(f"{study}: {where} holds NaN or infinity")
            if isinstance(value, dict):
                walk(value, sub)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        walk(item, sub + ("[]",))
        for seg, f in table:
            if (len(seg) == len(path) + 1 and seg[-1] not in ("*", "[]") and not f.optional
                    and _match(seg[:-1], path) and seg[-1] not in obj):
                problems.append(f"{study}: missing field {'.'.join(path + (seg[-1],))}"
                                .replace(".[]", "[]"))
    if not isinstance(result, dict):
        return [f"{study}: the result is a {type(result).__name__}, not an object"]
    walk(result, ())
    return problems


# -- the docs page ----------------------------------------------------------------------------
_TITLES = {"hessian": "rmtland simulate hessian", "spinglass": "rmtland simulate spinglass",
           "network": "rmtland simulate network", "trained": "rmtland simulate trained",
           "fit": "rmtland fit", "spectrum": "rmtland spectrum --torch",
           "freeness_scaling": "The freeness-scaling study (simulations/freeness_scaling.py)",
           "reproduce": "rmtland reproduce --json (the run manifest)",
           "sweep": "rmtland sweep (DIR/result.json; the tables below)"}


def _cell(text):
    text = text.replace("|", "\\|").replace("*", "\\*").replace("`", "'")
    return "\\-" if text in ("", "-") else text     # a bare "-" would start a bullet list


def _table(rows):
    out = [".. list-table::", "   :header-rows: 1", "   :widths: 30 12 10 48", "",
           "   * - field", "     - type", "     - unit", "     - meaning"]
    for f in rows:
        name = "``" + f.name + "``"
        out += [f"   * - {name}", f"     - {_cell(f.type)}", f"     - {_cell(f.unit)}",
                f"     - {_cell(f.meaning)}" + (" (optional)" if f.optional else "")]
    return out


def rst():
    """The reStructuredText of the docs page (``docs/guide/results_schema.rst``)."""
    head = ["Results schema", "==============", "",
            ".. Generated from rmtland.experiments.schema by docs/_schemagen.py: edit the schema,",
            "   then run python docs/_schemagen.py (tests/test_schema.py checks they agree).", "",
            "Every study writes ``DIR/result.json``; its fields are listed here from",
            ":mod:`rmtland.experiments.schema`, the same tuples that "
            ":func:`rmtland.experiments.schema.validate`",
            "checks each study's JSON against in the tests.  Names are dotted paths; ``*`` is "
            "any key of",
            "a mapping whose keys are data, ``[]`` each item of a list.  Types ending in "
            "``|null`` may be null;",
            "units: ``1`` dimensionless, ``loss`` the squared loss in PB17's normalisation, "
            "``energy/site``",
            "the spin-glass energy per site u, ``eigenvalue`` the unit of the spectrum's "
            "matrix, ``s`` seconds, ``deg`` degrees, ``-`` text.", ""]
    body = []
    for study, rows in STUDIES.items():
        title = _TITLES[study]
        body += [title, "-" * len(title), ""] + _table(rows) + [""]
    from .sweep import KINDS
    title = "Sweep tables"
    body += [title, "-" * len(title), "",
             "One row per point (``DIR/table.csv``, ``.jsonl``, ``.parquet``): these lead and "
             "tail columns,", "the kind's parameters, then the study's top-level scalar "
             "fields (listed above) and the", "columns the kind derives itself.", ""]
    body += _table(_LEAD + _TAIL) + [""]
    for kind, (study, prefix, drop, own) in SWEEP_KINDS.items():
        sub = f"Kind ``{kind}``"
        where = f"``{prefix}`` of " if prefix else ""
        params = ", ".join(f"``{p}``" for p in KINDS[kind].params)
        body += [sub, "~" * len(sub), "", f"Parameters: {params}.", "",
                 "Study fields: " + (f"the scalars of {where}{_TITLES[study]}" if study
                                     else "none")
                 + (f", less {', '.join('``%s``' % d for d in drop)}" if drop else "")
                 + "." + (" Its own columns:" if own else ""), ""]
        if own:
            body += _table(own) + [""]
    return "\n".join(head + body) + "\n"
