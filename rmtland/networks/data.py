r"""Data sets for the network studies, on the CPU (NumPy) or a GPU (CuPy), all offline.

Three tasks, each returned as a :class:`Dataset` ``(X, Y, name, info)`` with ``X`` of shape
``(m, d_in)`` (one sample per row) and ``Y`` of shape ``(m, k)`` (or ``(m,)`` integer labels):

- :func:`gaussian_task`: Pennington & Bahri's memorisation task (PB17, experiments): inputs and
  targets i.i.d. standard normal, so a zero network has expected loss
  :math:`\varepsilon = \tfrac12` under the package's loss
  :math:`L = \frac{1}{2km}\sum_i \lVert f(x_i) - y_i\rVert^2` (DESIGN.md, "Networks").
- :func:`teacher_task`: targets from a random one-hidden-layer teacher plus Gaussian noise,
  standardised per output, so a zero network has loss exactly :math:`\tfrac12`.
- :func:`digits`: scikit-learn's bundled 8×8 digits (1797 images, shipped with the wheel, no
  download), with PB17's kind of preprocessing (average-pool downsampling, per-pixel
  standardisation, ZCA/PCA whitening) and targets for the squared loss (one-hot, centred and
  scaled to unit variance per output, so a zero network has loss exactly :math:`\tfrac12`) or
  integer labels (for a softmax loss).

:func:`train_test_split` splits any of them reproducibly by seed.

Seeds and devices
-----------------
Each call turns ``rng`` into one :class:`numpy.random.SeedSequence`
(:func:`rmtland._seeds.seed_sequence`); each random array of the call is drawn from its own
child sequence (:func:`rmtland._seeds.child`), so e.g. the inputs of :func:`gaussian_task` do
not depend on ``k``. Arrays are drawn directly on the device (``device="gpu"``: a CuPy
Generator), so a NumPy and a CuPy run with one seed give different, separately reproducible
data. The digits are preprocessed on the host in float64 (scikit-learn returns NumPy arrays;
the set is 1797 × 64) and moved to the device once, explicitly, at the end.

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix Theory", Proc.
34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
https://proceedings.mlr.press/v70/pennington17a.html. Experiments (the memorisation task, the
preprocessed digit images, the normalisation of the loss).
F. Pedregosa et al., "Scikit-learn: Machine learning in Python", J. Mach. Learn. Res. 12,
2825–2830 (2011). ``sklearn.datasets.load_digits``: a copy of the test set of the UCI "Optical
Recognition of Handwritten Digits" data (E. Alpaydin, C. Kaynak, 1998).
A. J. Bell, T. J. Sejnowski, "The 'independent components' of natural scenes are edge filters",
Vision Res. 37(23), 3327–3338 (1997), doi:10.1016/S0042-6989(97)00121-1. ZCA whitening.
"""
import math
from dataclasses import dataclass, field

import numpy as np

from .._validate import InputError
from .. import _seeds, _validate
from .._backend import array_namespace, get_xp

__all__ = ["Dataset", "gaussian_task", "teacher_task", "digits", "train_test_split",
           "ACTIVATIONS", "DIGITS_EXTRA_MESSAGE", "DIGITS_SIDE", "DIGITS_IMAGES",
           "DIGITS_DOWNSAMPLE", "DIGITS_MAX", "digits_pixels", "digits_downsample"]

#: teacher activations: name -> elementwise function of (xp, z)
ACTIVATIONS = {
    "tanh": lambda xp, z: xp.tanh(z),
    "relu": lambda xp, z: xp.maximum(z, 0),
    "linear": lambda xp, z: z,
}

#: the one-line message when scikit-learn (the ``data`` extra) is missing
DIGITS_EXTRA_MESSAGE = "digits needs scikit-learn: pip install 'rmtland[data]'"


@dataclass(frozen=True)
class Dataset:
    """A data set: inputs ``X`` (m, d_in), targets ``Y`` ((m, k) floats, or (m,) integer
    labels), a ``name`` and an ``info`` dict (how it was made: parameters, seed-independent
    facts, preprocessing statistics). ``X`` and ``Y`` live on one backend (NumPy or CuPy)."""
    X: object
    Y: object
    name: str
    info: dict = field(default_factory=dict)

    @property
    def m(self):
        """Number of samples."""
        return int(self.X.shape[0])

    @property
    def d_in(self):
        """Input dimension."""
        return int(self.X.shape[1])

    @property
    def k(self):
        """Number of outputs: ``Y.shape[1]``, or the number of classes for integer labels."""
        if self.Y.ndim == 2:
            return int(self.Y.shape[1])
        return int(self.info["n_classes"])


def _sizes(**sizes):
    return {name: _validate.integer(name, value, minimum)
            for name, (value, minimum) in sizes.items()}


def _dtype_name(dtype):
    return _validate.float_dtypes(dtype)[0].__name__


def gaussian_task(m, d_in, k, *, rng=None, device="cpu", dtype="float64"):
    r"""Pennington & Bahri's memorisation task: random inputs, random targets.

    ``X`` has i.i.d. N(0, 1) entries, shape ``(m, d_in)``; ``Y`` has i.i.d. N(0, 1) entries,
    shape ``(m, k)``, independent of ``X``. The targets have unit variance, so the zero network
    has loss :math:`\frac{1}{2km}\sum_{i}\lVert y_i\rVert^2`, of mean :math:`\tfrac12` and
    standard deviation :math:`1/\sqrt{2km}` (a :math:`\chi^2_{km}/(2km)` variable). Nothing is
    learnable: the best a network can do is memorise.

    Parameters
    ----------
    m, d_in, k : int >= 1
        Samples, input dimension, outputs.
    rng : None, int, numpy.random.SeedSequence or Generator
        ``X`` is drawn from child 0 of the call's seed sequence and ``Y`` from child 1.
    device : {"cpu", "gpu", "auto"}
    dtype : {"float64", "float32"}
        Both arrays are drawn in this dtype.

    Returns
    -------
    Dataset
        ``name = "gaussian"``; ``info`` holds ``m, d_in, k``.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Experiments (random inputs and
       targets).
    """
    n = _sizes(m=(m, 1), d_in=(d_in, 1), k=(k, 1))
    name = _dtype_name(dtype)
    xp = get_xp(device)
    ss = _seeds.seed_sequence(rng, xp)
    X = _seeds.generator(_seeds.child(ss, 0), xp).standard_normal((n["m"], n["d_in"]),
                                                                   dtype=name)
    Y = _seeds.generator(_seeds.child(ss, 1), xp).standard_normal((n["m"], n["k"]), dtype=name)
    return Dataset(X, Y, "gaussian", dict(n, targets="i.i.d. N(0, 1)"))


def teacher_task(m, d_in, k, *, hidden, activation="tanh", noise=0.1, rng=None, device="cpu",
                 dtype="float64"):
    r"""Targets from a random one-hidden-layer teacher network, plus noise, standardised.

    Inputs ``X`` i.i.d. N(0, 1), shape ``(m, d_in)``. The teacher has weights
    ``W1`` (hidden × d_in) with i.i.d. N(0, 1/d_in) entries and ``W2`` (k × hidden) with i.i.d.
    N(0, 1/hidden) entries, no biases (PB17's setting), and computes
    :math:`t(x) = W_2\,\sigma(W_1 x)`. The raw targets are
    :math:`\tilde y_i = t(x_i) + \texttt{noise}\cdot\xi_i` with :math:`\xi_i` i.i.d. N(0, I_k);
    then each output is **standardised over the m samples**,
    :math:`y_{io} = (\tilde y_{io} - \bar y_o)/s_o` with the sample mean :math:`\bar y_o` and
    the population standard deviation :math:`s_o` (``ddof = 0``). Hence every output column of
    ``Y`` has mean 0 and variance 1 exactly, and the zero network has loss exactly
    :math:`\tfrac12`.

    Parameters
    ----------
    m : int >= 2
        Samples (two at least, for the standardisation).
    d_in, k : int >= 1
        Input dimension, outputs.
    hidden : int >= 1
        Width of the teacher's hidden layer.
    activation : {"tanh", "relu", "linear"}
        The teacher's :math:`\sigma`.
    noise : float >= 0
        Standard deviation of the noise added before standardisation (relative to the teacher's
        outputs, whose variance is of order one: :math:`E[t_o^2] = E[\sigma(z)^2]`,
        :math:`z \sim N(0, 1)`).
    rng : None, int, numpy.random.SeedSequence or Generator
        Children 0, 1, 2, 3 of the call's seed sequence draw ``X``, ``W1``, ``W2``, the noise.
    device : {"cpu", "gpu", "auto"}
    dtype : {"float64", "float32"}

    Returns
    -------
    Dataset
        ``name = "teacher"``; ``info`` holds the parameters, the teacher (``W1``, ``W2``, on the
        device), and the standardisation (``target_mean``, ``target_std``: host float64 arrays
        of length k), so that ``Y * target_std + target_mean`` gives the raw targets back.

    References
    ----------
    .. [1] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Experiments (one hidden layer, no
       biases, the loss normalisation).
    """
    n = _sizes(m=(m, 2), d_in=(d_in, 1), k=(k, 1), hidden=(hidden, 1))
    if activation not in ACTIVATIONS:
        raise InputError(f"activation must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
    noise = _validate.nonnegative("noise", noise)
    name = _dtype_name(dtype)
    xp = get_xp(device)
    ss = _seeds.seed_sequence(rng, xp)
    draw = [_seeds.generator(_seeds.child(ss, i), xp) for i in range(4)]
    X = draw[0].standard_normal((n["m"], n["d_in"]), dtype=name)
    W1 = draw[1].standard_normal((n["hidden"], n["d_in"]), dtype=name) * (1 / math.sqrt(d_in))
    W2 = draw[2].standard_normal((n["k"], n["hidden"]), dtype=name) * (1 / math.sqrt(hidden))
    Y = ACTIVATIONS[activation](xp, X @ W1.T) @ W2.T          # the teacher's forward pass
    if noise > 0:
        Y = Y + draw[3].standard_normal(Y.shape, dtype=name) * noise
    mean = Y.mean(axis=0)
    std = Y.std(axis=0)
    if not float(std.min()) > 0:
        raise InputError(f"the teacher's targets are constant over the m={m} samples for some "
                         f"output; use a larger m or noise > 0")
    Y = (Y - mean) / std
    info = dict(n, activation=activation, noise=noise,
                targets="teacher + noise, standardised per output (mean 0, variance 1)",
                teacher={"W1": W1, "W2": W2},
                target_mean=_host(mean), target_std=_host(std))
    return Dataset(X, Y, "teacher", info)


def _host(x):
    """float64 NumPy copy of a NumPy or CuPy array (explicit transfer)."""
    return np.asarray(x.get() if hasattr(x, "get") else x, dtype=np.float64)


def _load_digits():
    """scikit-learn's bundled digits as (images (1797, 8, 8) float64, labels (1797,) int64);
    imported here, lazily, so that ``import rmtland`` never imports scikit-learn."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise InputError(DIGITS_EXTRA_MESSAGE) from None
    bunch = load_digits()
    return (np.asarray(bunch.images, dtype=np.float64),
            np.asarray(bunch.target, dtype=np.int64))


def digits(*, classes=None, m=None, downsample=None, unit=False, standardize=False,
           whiten=False, whiten_reg=1e-6, one_hot=True, rng=None, device="cpu",
           dtype="float64"):
    r"""scikit-learn's 8×8 handwritten digits, preprocessed for the squared (or softmax) loss.

    1797 grayscale images, pixel values 0..16, ten classes, bundled with scikit-learn (no
    download). Steps, in this order:

    1. **classes**: keep the images whose label is in ``classes`` (default: all ten, in order);
       labels become indices into ``classes``.
    2. **m**: keep ``m`` of them, chosen by ``rng`` uniformly without replacement (their
       original order kept); default all.
    3. **downsample** ``f`` (1, 2, 4 or 8): average pooling over non-overlapping ``f × f``
       blocks, so 8×8 becomes ``(8/f) × (8/f)``; features in row-major order of the pooled image
       (feature ``r·(8/f) + c`` is the mean of pixels ``[f r : f r + f, f c : f c + f]``).
       With ``unit``, divided by :data:`DIGITS_MAX` = 16 (the largest pixel value), so the
       inputs lie in [0, 1] (the scaling of the empirical Hessian studies, Sagun et al. 2017,
       arXiv:1706.04454; Papyan 2019, arXiv:1901.08244: pixels scaled, not standardised).
    4. **standardize** (implied by ``whiten``): drop the pixels that are constant over the kept
       samples (their indices into the pooled image are ``info["kept_pixels"]``), then
       subtract each pixel's mean and divide by its standard deviation (``ddof = 0``).
    5. **whiten**: with :math:`C = U\Lambda U^\top` the covariance
       :math:`X^\top X/m` of the standardised pixels (trace = number of pixels, so the mean
       eigenvalue is 1) and the regulariser :math:`\delta` = ``whiten_reg`` (absolute, i.e.
       relative to that mean eigenvalue):
       ``"zca"`` (or ``True``) maps :math:`X \mapsto X U(\Lambda+\delta)^{-1/2}U^\top` (ZCA: the
       whitened image closest to the original, Bell & Sejnowski 1997), ``"pca"`` maps
       :math:`X \mapsto X U_r(\Lambda_r+\delta)^{-1/2}` keeping only the ``r`` directions with
       :math:`\lambda > 100\,\delta` (features = principal components, largest first).
       Either way the whitened covariance has eigenvalues :math:`\lambda/(\lambda+\delta)`, so
       it is the identity to within :math:`\delta/(\lambda_{\min}+\delta)`, recorded as
       ``info["whiten_max_deviation"]``. ``"zca"`` refuses a covariance with an eigenvalue
       :math:`\le 100\,\delta` (fewer samples than pixels, or collinear pixels), whose
       whitened covariance would not be the identity: use ``"pca"`` there.
    6. **targets**: ``one_hot=True`` gives ``Y`` of shape ``(m, K)``, K = number of classes,
       with :math:`Y_{ic} = (\mathbb 1[\ell_i = c] - p_c)/\sqrt{p_c(1-p_c)}`, :math:`p_c` the
       fraction of the kept samples in class c: each column has mean 0 and variance 1 exactly,
       so the zero network has loss exactly :math:`\tfrac12` (the squared loss of DESIGN.md;
       needs K ≥ 2 and every class present). ``one_hot=False`` gives the integer labels
       ``0..K-1`` (int64, shape ``(m,)``), for a softmax loss.

    Without ``unit``/``standardize``/``whiten`` the inputs are the raw (pooled) pixel values
    0..16.

    Parameters
    ----------
    classes : sequence of distinct ints in 0..9, optional
    m : int >= number of classes, optional
    downsample : {None, 1, 2, 4, 8}
    unit : bool
        Pixels divided by 16, into [0, 1] (step 3).
    standardize : bool
    whiten : {False, True, "zca", "pca"}
    whiten_reg : float > 0
    one_hot : bool
    rng : None, int, numpy.random.SeedSequence or Generator
        Used only to choose the ``m`` samples.
    device : {"cpu", "gpu", "auto"}
        The preprocessed arrays are moved there (one explicit host-to-device copy each).
    dtype : {"float64", "float32"}
        Of ``X`` and (one-hot) ``Y``; the preprocessing itself runs in float64.

    Returns
    -------
    Dataset
        ``name = "digits"``; ``info`` holds ``classes``, ``n_classes``, ``labels`` (host int64,
        indices into ``classes``), ``indices`` (into the 1797 images), ``kept_pixels``,
        ``pixel_mean``/``pixel_std`` (when standardised), ``whiten_eigenvalues``,
        ``whiten_max_deviation`` and ``class_fractions``.

    Raises
    ------
    InputError
        A parameter out of range (named), or scikit-learn missing: the message is
        ``digits needs scikit-learn: pip install 'rmtland[data]'``.

    References
    ----------
    .. [1] F. Pedregosa et al., "Scikit-learn: Machine learning in Python", J. Mach. Learn. Res.
       12, 2825–2830 (2011). ``sklearn.datasets.load_digits``.
    .. [2] J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
       Theory", Proc. 34th Int. Conf. on Machine Learning (ICML 2017), PMLR 70, 2798–2806 (2017),
       https://proceedings.mlr.press/v70/pennington17a.html. Experiments (downsampled, whitened
       images; the loss normalisation).
    .. [3] A. J. Bell, T. J. Sejnowski, "The 'independent components' of natural scenes are edge
       filters", Vision Res. 37(23), 3327–3338 (1997), doi:10.1016/S0042-6989(97)00121-1. ZCA.
    """
    # ---- validate everything before loading or computing --------------------------------
    if classes is None:
        classes = tuple(range(10))
    else:
        try:
            classes = tuple(classes)
        except TypeError:
            raise InputError(f"classes must be a sequence of distinct integers in 0..9, "
                             f"got {classes!r}") from None
        classes = tuple(_validate.integer("classes", c, 0) for c in classes)
        if not classes or max(classes) > 9 or len(set(classes)) != len(classes):
            raise InputError(f"classes must be a non-empty sequence of distinct integers in "
                             f"0..9, got {classes!r}")
    K = len(classes)
    if one_hot and K < 2:
        raise InputError(f"classes must hold at least 2 classes for one-hot targets "
                         f"(one_hot=True), got {classes!r}")
    if m is not None:
        m = _validate.integer("m", m, K)
    f = 1 if downsample is None else _validate.integer("downsample", downsample, 1)
    if 8 % f:
        raise InputError(f"downsample must be one of 1, 2, 4, 8 (a divisor of 8), got {f}")
    if isinstance(whiten, (bool, np.bool_)):
        mode = "zca" if whiten else None
    elif isinstance(whiten, str) and whiten in ("zca", "pca"):
        mode = whiten
    else:
        raise InputError(f"whiten must be one of False, True, 'zca', 'pca', got {whiten!r}")
    if not isinstance(unit, (bool, np.bool_)):
        raise InputError(f"unit must be True or False, got {unit!r}")
    if not isinstance(standardize, (bool, np.bool_)):
        raise InputError(f"standardize must be True or False, got {standardize!r}")
    if not isinstance(one_hot, (bool, np.bool_)):
        raise InputError(f"one_hot must be True or False, got {one_hot!r}")
    reg = _validate.positive("whiten_reg", whiten_reg)
    name = _dtype_name(dtype)
    xp = get_xp(device)
    ss = _seeds.seed_sequence(rng, xp)

    images, target = _load_digits()
    # ---- 1. classes, 2. samples ------------------------------------------------------------
    idx = np.flatnonzero(np.isin(target, classes))
    if m is not None:
        if m > idx.size:
            raise InputError(f"m must be <= {idx.size} (the images of classes {classes}), "
                             f"got {m}")
        pick = np.random.default_rng(ss).choice(idx.size, size=m, replace=False)
        idx = idx[np.sort(pick)]
    lookup = {c: i for i, c in enumerate(classes)}
    labels = np.array([lookup[int(t)] for t in target[idx]], dtype=np.int64)
    imgs = images[idx]
    # ---- 3. average pooling ----------------------------------------------------------------
    s = 8 // f
    X = imgs.reshape(len(idx), s, f, s, f).mean(axis=(2, 4)).reshape(len(idx), s * s)
    if unit:
        X = X / DIGITS_MAX
    info = dict(classes=classes, n_classes=K, labels=labels, indices=idx, downsample=f,
                unit=bool(unit),
                kept_pixels=np.arange(s * s), standardize=bool(standardize or mode),
                whiten=mode or False, whiten_reg=reg if mode else None)
    # ---- 4. standardisation, 5. whitening ---------------------------------------------------
    if standardize or mode:
        std = X.std(axis=0)
        keep = np.flatnonzero(std > 0)
        X = X[:, keep]
        mean = X.mean(axis=0)
        std = X.std(axis=0)
        X = (X - mean) / std
        info.update(kept_pixels=keep, pixel_mean=mean, pixel_std=std)
    if mode:
        lam, U = np.linalg.eigh(X.T @ X / X.shape[0])
        good = lam > 100 * reg
        if mode == "zca":
            if not good.all():
                raise InputError(
                    f"whiten='zca' needs a covariance with every eigenvalue > 100*whiten_reg = "
                    f"{100 * reg:g}; the {X.shape[1]} standardised pixels of these "
                    f"{X.shape[0]} samples have {int((~good).sum())} below it: use "
                    f"whiten='pca' (or a smaller whiten_reg)")
            X = X @ (U / np.sqrt(lam + reg)) @ U.T
        else:
            order = np.argsort(lam)[::-1]
            order = order[good[order]]
            X = X @ (U[:, order] / np.sqrt(lam[order] + reg))
        kept = lam[good]
        info.update(whiten_eigenvalues=lam,
                    whiten_max_deviation=float(reg / (kept.min() + reg)))
    # ---- 6. targets -----------------------------------------------------------------------
    counts = np.bincount(labels, minlength=K)
    info["class_fractions"] = counts / labels.size
    if one_hot:
        if (counts == 0).any():
            missing = [classes[c] for c in np.flatnonzero(counts == 0)]
            raise InputError(f"m={m} samples leave classes {missing} without an image; "
                             f"one-hot targets need every class present: use a larger m")
        p = counts / labels.size
        Y = ((labels[:, None] == np.arange(K)) - p) / np.sqrt(p * (1 - p))
        info["targets"] = ("one-hot, centred and scaled per class: "
                           "(1[label = c] - p_c) / sqrt(p_c (1 - p_c))")
        Y = xp.asarray(Y.astype(name))
    else:
        info["targets"] = "integer labels 0..K-1 (indices into classes)"
        Y = xp.asarray(labels)
    return Dataset(xp.asarray(X.astype(name)), Y, "digits", info)


#: side of scikit-learn's digit images (8 x 8 pixels) and their number (all ten classes)
DIGITS_SIDE = 8
#: the largest pixel value of the digits (values 0..16)
DIGITS_MAX = 16
DIGITS_IMAGES = 1797
#: the average-pooling factors of :func:`digits` and the pooled image sizes they give
DIGITS_DOWNSAMPLE = (1, 2, 4, 8)


def digits_pixels(downsample):
    """Pixels of a digit image average-pooled by ``downsample``: ``(8 / downsample)**2``
    (64, 16, 4, 1)."""
    return (DIGITS_SIDE // downsample) ** 2


def digits_downsample(inputs, downsample=None):
    """The pooling factor that gives ``inputs`` pixels per digit image, checked against an
    explicit ``downsample``: for the digits, ``inputs`` *is* the pooled image size
    (:func:`digits_pixels`), 64, 16, 4 or 1.  ``downsample=None`` derives it from ``inputs``;
    a ``downsample`` whose image size is not ``inputs`` is refused naming both (one of them
    would otherwise be silently ignored).  Raises :class:`InputError`."""
    sizes = {digits_pixels(f): f for f in DIGITS_DOWNSAMPLE}
    if downsample is not None:
        if downsample not in DIGITS_DOWNSAMPLE or isinstance(downsample, bool):
            raise InputError(f"downsample must be one of {', '.join(map(str, DIGITS_DOWNSAMPLE))}"
                             f", got {downsample!r}")
        if inputs != digits_pixels(downsample):
            raise InputError(
                f"inputs = {inputs} conflicts with downsample = {downsample}: digit images "
                f"pooled by {downsample} have {digits_pixels(downsample)} pixels; for the "
                f"digits inputs must be (8/downsample)^2 (one of 64, 16, 4, 1): give "
                f"inputs = {digits_pixels(downsample)}, or leave downsample out")
        return downsample
    if inputs not in sizes:
        raise InputError(f"inputs must be one of 64, 16, 4, 1 for the digits (the pixels of "
                         f"an 8x8 image average-pooled by 1, 2, 4 or 8), got {inputs!r}")
    return sizes[inputs]


def train_test_split(dataset, test_fraction=0.2, rng=0):
    """Split ``dataset`` into a training and a test set, reproducibly by seed.

    ``round(test_fraction * m)`` samples, chosen uniformly without replacement by ``rng``,
    form the test set, the others the training set; both keep the original order. The default
    ``rng=0`` makes the default split fixed. The preprocessing of ``dataset`` (e.g. the
    standardisation of :func:`digits` and :func:`teacher_task`) is not redone: its statistics
    are those of the whole set (fine for studies of the training loss landscape).

    Parameters
    ----------
    dataset : Dataset
    test_fraction : float in (0, 1)
        Both parts must be non-empty.
    rng : None, int, numpy.random.SeedSequence or Generator

    Returns
    -------
    (Dataset, Dataset)
        Training and test set, on ``dataset``'s backend; their ``info`` is ``dataset.info``
        plus ``split`` (``"train"``/``"test"``) and ``split_indices`` (host int64, into
        ``dataset``). Per-sample host arrays of the info (``labels``, ``indices`` of
        :func:`digits`) are subset to match.
    """
    if not isinstance(dataset, Dataset):
        raise InputError(f"dataset must be a rmtland.networks.data.Dataset, got "
                         f"{type(dataset).__name__}")
    frac = _validate.positive("test_fraction", test_fraction)
    if frac >= 1:
        raise InputError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    m = dataset.m
    n_test = int(round(frac * m))
    if not 1 <= n_test <= m - 1:
        raise InputError(f"test_fraction={frac:g} of m={m} samples gives {n_test} test "
                         f"samples; both parts must be non-empty (test_fraction in "
                         f"[{0.5 / m:.3g}, {1 - 0.5 / m:.3g}))")
    xp = array_namespace(dataset.X, dataset.Y)
    perm = np.random.default_rng(_seeds.seed_sequence(rng, xp)).permutation(m)
    parts = []
    for part, sel in (("train", np.sort(perm[n_test:])), ("test", np.sort(perm[:n_test]))):
        info = dict(dataset.info, split=part, split_indices=sel)
        for key in ("labels", "indices"):
            if isinstance(info.get(key), np.ndarray) and info[key].shape[:1] == (m,):
                info[key] = info[key][sel]
        dev = xp.asarray(sel)
        parts.append(Dataset(dataset.X[dev], dataset.Y[dev], dataset.name, info))
    return tuple(parts)
