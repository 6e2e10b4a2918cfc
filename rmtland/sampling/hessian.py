r"""Random Pennington–Bahri Hessians :math:`H = H_0 + H_1`: a Wishart (Gauss–Newton) part plus
an independent GOE (residual) part, batched and xp-generic, with the seeding and chunking rules
of :mod:`rmtland.sampling.ensembles`.

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
Theory", ICML 2017, PMLR 70:2798–2806 (PB17), Sec. 3.
"""
import math

from .._validate import InputError
from .. import _validate
from .._backend import get_xp
from .ensembles import MatrixSpec, gram, iter_spec, sample_spec

__all__ = ["hessian_m", "sample_hessian", "iter_hessian_chunks"]


def hessian_m(n, phi):
    """Width ``m = round(n / phi)`` of the Gauss–Newton factor; ``ValueError`` if ``m < 1``."""
    n = _validate.integer("n", n, 1)
    phi = _validate.positive("phi", phi)
    m = round(n / phi)
    if m < 1:
        raise InputError(f"phi={phi!r} is too large for n={n}: m = round(n/phi) = {m} < 1; "
                         f"the allowed range is 0 < phi < {2 * n}")
    return m


def _hessian_spec(n, phi, eps, dtype, device):
    m = hessian_m(n, phi)
    n = int(n)
    eps = _validate.nonnegative("eps", eps)
    real, _ = _validate.float_dtypes(dtype)
    xp = get_xp(device)
    scale = math.sqrt(2.0 * eps) / math.sqrt(2.0 * n)       # sigma / sqrt(2n), sigma^2 = 2 eps

    def build(x, a):
        h = gram(x, m, xp)
        w = a + xp.swapaxes(a, -1, -2)
        w *= scale
        h += w
        return h
    return MatrixSpec(xp, n, real, real, [(n, m), (n, n)], build,
                      blame=f"n or raise phi (one matrix draws an n x m = {n} x "
                            f"{m if m < 10 ** 9 else format(m, '.3g')} factor, m = round(n/phi))")


def sample_hessian(n, phi, eps, *, batch=1, dtype="float64", rng=None, device="cpu",
                   chunk=None, max_bytes=None):
    r"""Sample ``batch`` Pennington–Bahri random Hessians :math:`H = H_0 + H_1`.

    Parameters
    ----------
    n : int
        Matrix size (number of parameters), ``>= 1``.
    phi : float
        Ratio :math:`\phi > 0`. The Wishart factor uses :math:`m = \mathrm{round}(n/\phi)`
        columns (``m >= 1`` is required), so the **realised** ratio is ``n/m``, which
        differs from ``phi`` when ``n/phi`` is not an integer; compare with theory at ``n/m``
        (see :func:`hessian_m`).
    eps : float
        Loss :math:`\epsilon \ge 0`; the Wigner part has semicircle variance
        :math:`\sigma^2 = 2\epsilon`.
    batch, dtype, rng, device, chunk, max_bytes
        As in :func:`sample_wishart`.

    Returns
    -------
    H : array of shape ``(batch, n, n)``, exactly symmetric.

    Notes
    -----
    :math:`H_0 = X X^\top/m` (:func:`sample_wishart`, Marchenko–Pastur of ratio ``n/m``) and
    :math:`H_1` GOE of variance :math:`2\epsilon` (:func:`sample_goe`), independent; free in
    the limit, so the R-transforms add: :math:`R(g) = 1/(1 - \phi g) + 2\epsilon g`
    (Pennington & Bahri, ICML 2017, Sec. 3; DESIGN.md). Exact finite-n moments:
    :math:`\mathbb{E}\,\mathrm{tr}H/n = 1`,
    :math:`\mathbb{E}\,\mathrm{tr}H^2/n = 1 + n/m + 1/m + 2\epsilon(1 + 1/n)`.
    """
    batch = _validate.integer("batch", batch, 1)
    return sample_spec(_hessian_spec(n, phi, eps, dtype, device), batch, rng, chunk, max_bytes)


def iter_hessian_chunks(n, phi, eps, *, batch=1, dtype="float64", rng=None, device="cpu",
                        chunk=None, max_bytes=None):
    r"""Yield the matrices of :func:`sample_hessian` in chunks of at most ``chunk``.

    The concatenation equals ``sample_hessian(n, phi, eps, ...)`` with the same ``rng``,
    whatever ``chunk`` is; only one chunk is in memory at a time.

    Examples
    --------
    >>> from rmtland.sampling import iter_hessian_chunks
    >>> from rmtland.linalg import count_negative
    >>> index = [count_negative(h) for h in iter_hessian_chunks(100, 0.5, 0.1, batch=8,
    ...                                                        rng=1, chunk=3)]
    """
    batch = _validate.integer("batch", batch, 1)
    return iter_spec(_hessian_spec(n, phi, eps, dtype, device), batch, rng, chunk, max_bytes)
