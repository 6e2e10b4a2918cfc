"""rmtland.networks.data: the memorisation task, the teacher task, the digits, the split.

Statistical bounds are sized from the sample: for n i.i.d. N(0, 1) numbers the sample mean has
standard deviation 1/sqrt(n) and the sample variance (ddof 0) about sqrt(2/n); every such check
allows 6 standard deviations (a false failure has probability < 1e-8 per check, and the seeds
are fixed anyway).
"""
import importlib.util
import math
import subprocess
import sys

import numpy as np
import pytest

from rmtland._backend import array_namespace, get_xp, to_numpy
from rmtland._validate import InputError
from rmtland.networks.data import (DIGITS_EXTRA_MESSAGE, Dataset, digits, gaussian_task,
                                   teacher_task, train_test_split)

needs_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                                   reason="the digits need scikit-learn (the 'data' extra)")


def _raw_digits():
    from sklearn.datasets import load_digits
    b = load_digits()
    return b.images.astype(float), b.target


# ----------------------------------------------------------------------- gaussian task
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gaussian_shapes_dtypes_backend(device, dtype):
    ds = gaussian_task(30, 7, 3, rng=1, device=device, dtype=dtype)
    assert isinstance(ds, Dataset) and ds.name == "gaussian"
    assert ds.X.shape == (30, 7) and ds.Y.shape == (30, 3)
    assert (ds.m, ds.d_in, ds.k) == (30, 7, 3)
    assert ds.X.dtype == np.dtype(dtype) and ds.Y.dtype == np.dtype(dtype)
    assert array_namespace(ds.X, ds.Y) is get_xp(device)


def test_gaussian_seeds(device):
    a = gaussian_task(20, 4, 2, rng=5, device=device)
    b = gaussian_task(20, 4, 2, rng=5, device=device)
    c = gaussian_task(20, 4, 2, rng=6, device=device)
    assert np.array_equal(to_numpy(a.X), to_numpy(b.X))
    assert np.array_equal(to_numpy(a.Y), to_numpy(b.Y))
    assert not np.allclose(to_numpy(a.X), to_numpy(c.X))
    assert not np.allclose(to_numpy(a.Y), to_numpy(c.Y))
    # X comes from its own child stream: it does not depend on k
    d = gaussian_task(20, 4, 5, rng=5, device=device)
    assert np.array_equal(to_numpy(a.X), to_numpy(d.X))


def test_gaussian_unit_variance_and_zero_network_loss():
    m, d_in, k = 400, 25, 30
    ds = gaussian_task(m, d_in, k, rng=2024)
    for A in (ds.X, ds.Y):
        n = A.size
        assert abs(A.mean()) <= 6 / math.sqrt(n)
        assert abs(A.var() - 1) <= 6 * math.sqrt(2 / n)
    # the zero network's loss: chi^2_{km}/(2km), mean 1/2, standard deviation 1/sqrt(2km)
    eps0 = np.sum(ds.Y ** 2) / (2 * k * m)
    assert abs(eps0 - 0.5) <= 6 / math.sqrt(2 * k * m)
    # X and Y independent: the sample correlation of two independent normal sets ~ 1/sqrt(n)
    corr = np.corrcoef(ds.X[:, 0], ds.Y[:, 0])[0, 1]
    assert abs(corr) <= 6 / math.sqrt(m)


# ------------------------------------------------------------------------ teacher task
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_teacher_standardised_targets(device, dtype):
    ds = teacher_task(200, 6, 3, hidden=5, noise=0.2, rng=3, device=device, dtype=dtype)
    assert ds.X.dtype == np.dtype(dtype) and ds.Y.dtype == np.dtype(dtype)
    assert array_namespace(ds.X, ds.Y) is get_xp(device)
    Y = to_numpy(ds.Y).astype(float)
    tol = 1e-12 if dtype == "float64" else 1e-5
    assert np.allclose(Y.mean(axis=0), 0, atol=tol)           # exact, by construction
    assert np.allclose(Y.var(axis=0), 1, atol=10 * tol)
    assert abs(np.sum(Y ** 2) / (2 * 3 * 200) - 0.5) <= 10 * tol   # zero network: eps = 1/2


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
def test_teacher_is_the_stated_network(activation):
    """noise = 0: the raw targets are W2 act(W1 x), recomputed here sample by sample."""
    ds = teacher_task(40, 4, 2, hidden=3, activation=activation, noise=0.0, rng=11)
    W1, W2 = ds.info["teacher"]["W1"], ds.info["teacher"]["W2"]
    act = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "linear": lambda z: z}[activation]
    raw = np.array([W2 @ act(W1 @ x) for x in ds.X])
    assert np.allclose(ds.Y * ds.info["target_std"] + ds.info["target_mean"], raw,
                       rtol=1e-12, atol=1e-12)
    # the teacher's weights have the stated variances 1/fan_in (6 s.d. of a sample variance)
    big = teacher_task(10, 400, 300, hidden=200, rng=1)
    for W, fan in ((big.info["teacher"]["W1"], 400), (big.info["teacher"]["W2"], 200)):
        assert abs(W.var() * fan - 1) <= 6 * math.sqrt(2 / W.size)


def test_teacher_noise_and_seeds():
    a = teacher_task(50, 3, 2, hidden=4, rng=7)
    b = teacher_task(50, 3, 2, hidden=4, rng=7)
    c = teacher_task(50, 3, 2, hidden=4, rng=8)
    assert np.array_equal(a.Y, b.Y) and not np.allclose(a.Y, c.Y)
    clean = teacher_task(50, 3, 2, hidden=4, noise=0.0, rng=7)
    assert np.array_equal(a.X, clean.X) and not np.allclose(a.Y, clean.Y)


# ------------------------------------------------------------------------------ digits
@needs_sklearn
def test_digits_full_set():
    images, target = _raw_digits()
    ds = digits()
    assert ds.X.shape == (1797, 64) and ds.Y.shape == (1797, 10) and ds.k == 10
    assert np.array_equal(ds.X, images.reshape(1797, 64))        # raw pixels 0..16
    assert np.array_equal(ds.info["labels"], target)
    # one-hot targets centred and scaled: each column mean 0, variance 1; argmax = label
    assert np.allclose(ds.Y.mean(axis=0), 0, atol=1e-14)
    assert np.allclose(ds.Y.var(axis=0), 1, atol=1e-13)
    assert np.array_equal(ds.Y.argmax(axis=1), target)
    p = np.bincount(target) / 1797
    assert np.allclose(ds.Y[np.arange(1797), target], np.sqrt((1 - p) / p)[target])
    assert abs(np.sum(ds.Y ** 2) / (2 * 10 * 1797) - 0.5) < 1e-14


@needs_sklearn
def test_digits_unit_scaling_is_pixels_over_16():
    """unit=True: the raw pixels (integers 0..16, Pedregosa et al. 2011) divided by 16, so
    in [0, 1] with both ends reached; pooling then scaling is the block mean of the scaled
    pixels (both linear)."""
    images, _ = _raw_digits()
    ds = digits(unit=True)
    assert np.array_equal(ds.X * 16, images.reshape(1797, 64))
    assert ds.X.min() == 0.0 and ds.X.max() == 1.0 and ds.info["unit"]
    pooled = digits(unit=True, downsample=2).X
    block = images.reshape(1797, 4, 2, 4, 2).mean(axis=(2, 4)).reshape(1797, 16) / 16
    np.testing.assert_allclose(pooled, block, rtol=1e-15, atol=0)
    # standardising after the scaling gives the standardised raw pixels (scale-invariant)
    np.testing.assert_allclose(digits(unit=True, standardize=True).X,
                               digits(standardize=True).X, rtol=1e-12, atol=1e-12)


@needs_sklearn
def test_digits_class_subset_and_integer_labels():
    images, target = _raw_digits()
    ds = digits(classes=[3, 8, 1], one_hot=False)
    keep = np.isin(target, [3, 8, 1])
    assert ds.X.shape == (keep.sum(), 64) and ds.Y.dtype == np.int64 and ds.k == 3
    assert np.array_equal(ds.X, images[keep].reshape(-1, 64))
    assert np.array_equal(np.array([3, 8, 1])[ds.Y], target[keep])


@needs_sklearn
def test_digits_m_samples_by_seed():
    a = digits(m=100, rng=4)
    b = digits(m=100, rng=4)
    c = digits(m=100, rng=5)
    assert a.X.shape == (100, 64)
    assert np.array_equal(a.info["indices"], b.info["indices"]) and np.array_equal(a.X, b.X)
    assert not np.array_equal(a.info["indices"], c.info["indices"])
    idx = a.info["indices"]
    assert len(set(idx.tolist())) == 100 and np.all(np.diff(idx) > 0)   # no repeats, in order
    images, _ = _raw_digits()
    assert np.array_equal(a.X, images[idx].reshape(100, 64))


@needs_sklearn
def test_digits_downsample_is_the_2x2_block_mean():
    images, _ = _raw_digits()
    ds = digits(downsample=2)
    assert ds.X.shape == (1797, 16)
    for r in range(4):
        for c in range(4):
            block = (images[:, 2 * r, 2 * c] + images[:, 2 * r, 2 * c + 1]
                     + images[:, 2 * r + 1, 2 * c] + images[:, 2 * r + 1, 2 * c + 1]) / 4
            assert np.array_equal(ds.X[:, 4 * r + c], block)       # exact: sums of integers
    assert digits(downsample=8).X.shape == (1797, 1)
    assert np.allclose(digits(downsample=8).X[:, 0], images.mean(axis=(1, 2)))


@needs_sklearn
def test_digits_standardize_drops_constant_pixels():
    ds = digits(standardize=True)
    kept = ds.info["kept_pixels"]
    assert ds.X.shape == (1797, kept.size) and kept.size == 61     # 3 pixels are always 0
    assert np.allclose(ds.X.mean(axis=0), 0, atol=1e-13)
    assert np.allclose(ds.X.var(axis=0), 1, atol=1e-12)


@needs_sklearn
@pytest.mark.parametrize("whiten", [True, "zca", "pca"])
def test_digits_whitening_gives_identity_covariance(whiten):
    """Covariance = identity to within delta/(lambda_min + delta) (the docstring's bound,
    ~2e-5 here with delta = 1e-6 and lambda_min = 0.050), plus rounding; stated: 1e-4."""
    ds = digits(whiten=whiten)
    C = ds.X.T @ ds.X / ds.m
    dev = ds.info["whiten_max_deviation"]
    assert dev < 1e-4
    assert np.max(np.abs(C - np.eye(len(C)))) <= dev + 1e-12
    if whiten != "pca":                           # ZCA stays in pixel space
        assert ds.X.shape == (1797, 61)


@needs_sklearn
def test_digits_pca_whitening_with_few_samples():
    ds = digits(m=40, classes=[0, 1], whiten="pca", rng=2)
    C = ds.X.T @ ds.X / ds.m
    assert ds.X.shape[1] <= 39                     # rank <= m - 1 after centring
    assert np.max(np.abs(C - np.eye(len(C)))) <= ds.info["whiten_max_deviation"] + 1e-12
    with pytest.raises(InputError, match="whiten='pca'"):
        digits(m=40, classes=[0, 1], whiten="zca", rng=2)


@needs_sklearn
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_digits_on_device(device, dtype):
    ds = digits(m=60, downsample=2, whiten=True, rng=1, device=device, dtype=dtype)
    assert array_namespace(ds.X, ds.Y) is get_xp(device)
    assert ds.X.dtype == np.dtype(dtype) and ds.Y.dtype == np.dtype(dtype)
    host = digits(m=60, downsample=2, whiten=True, rng=1, dtype=dtype)
    assert np.array_equal(to_numpy(ds.X), host.X) and np.array_equal(to_numpy(ds.Y), host.Y)
    labels = digits(classes=[2, 7], one_hot=False, device=device)
    assert labels.Y.dtype == np.int64 and array_namespace(labels.Y) is get_xp(device)


def test_digits_missing_extra(monkeypatch):
    # None in sys.modules makes the import fail; sklearn.datasets may be cached already
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(InputError) as err:
        digits()
    assert str(err.value) == DIGITS_EXTRA_MESSAGE
    assert str(err.value) == "digits needs scikit-learn: pip install 'rmtland[data]'"


def test_importing_data_does_not_import_sklearn():
    code = ("import sys, rmtland, rmtland.networks.data\n"
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------- the split
def test_split_deterministic_and_disjoint(device):
    ds = gaussian_task(50, 3, 2, rng=0, device=device)
    tr, te = train_test_split(ds, 0.2, rng=9)
    tr2, te2 = train_test_split(ds, 0.2, rng=9)
    _, te3 = train_test_split(ds, 0.2, rng=10)
    assert (tr.m, te.m) == (40, 10)
    assert np.array_equal(te.info["split_indices"], te2.info["split_indices"])
    assert not np.array_equal(te.info["split_indices"], te3.info["split_indices"])
    both = np.concatenate([tr.info["split_indices"], te.info["split_indices"]])
    assert np.array_equal(np.sort(both), np.arange(50))
    X = to_numpy(ds.X)
    assert np.array_equal(to_numpy(te.X), X[te.info["split_indices"]])
    assert np.array_equal(to_numpy(tr.Y), to_numpy(ds.Y)[tr.info["split_indices"]])
    assert array_namespace(tr.X, te.Y) is get_xp(device)
    # the default split is fixed (rng=0)
    assert np.array_equal(train_test_split(ds)[1].info["split_indices"],
                          train_test_split(ds, 0.2, 0)[1].info["split_indices"])


@needs_sklearn
def test_split_keeps_digit_labels_aligned():
    ds = digits(classes=[0, 1, 2])
    tr, te = train_test_split(ds, 0.25, rng=3)
    for part in (tr, te):
        assert np.array_equal(part.Y.argmax(axis=1), part.info["labels"])
        assert part.info["indices"].shape == (part.m,)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, name", [
    (lambda: gaussian_task(0, 3, 2), "m"),
    (lambda: gaussian_task(5, 0, 2), "d_in"),
    (lambda: gaussian_task(5, 3, 2.5), "k"),
    (lambda: gaussian_task(5, 3, 2, dtype="int32"), "dtype"),
    (lambda: gaussian_task(5, 3, 2, device="tpu"), "device"),
    (lambda: teacher_task(1, 3, 2, hidden=2), "m"),
    (lambda: teacher_task(5, 3, 2, hidden=0), "hidden"),
    (lambda: teacher_task(5, 3, 2, hidden=2, activation="sigmoid"), "activation"),
    (lambda: teacher_task(5, 3, 2, hidden=2, noise=-0.1), "noise"),
    (lambda: digits(classes=[1, 1]), "classes"),
    (lambda: digits(classes=[10]), "classes"),
    (lambda: digits(classes=[4]), "classes"),
    (lambda: digits(m=5), "m"),
    pytest.param(lambda: digits(m=5000), "m", marks=needs_sklearn),
    (lambda: digits(downsample=3), "downsample"),
    (lambda: digits(whiten="svd"), "whiten"),
    (lambda: digits(unit="yes"), "unit"),
    (lambda: digits(whiten=1), "whiten"),
    (lambda: digits(whiten=True, whiten_reg=0), "whiten_reg"),
    (lambda: train_test_split(gaussian_task(5, 2, 1, rng=0), 0.0), "test_fraction"),
    (lambda: train_test_split(gaussian_task(5, 2, 1, rng=0), 1.0), "test_fraction"),
    (lambda: train_test_split(gaussian_task(5, 2, 1, rng=0), 0.01), "test_fraction"),
    (lambda: train_test_split(np.zeros((3, 2)), 0.5), "dataset"),
])
def test_bad_input_names_the_parameter(call, name):
    """Checked before anything is drawn or loaded; the message starts with the name."""
    with pytest.raises(InputError, match=rf"^{name}\b"):
        call()


@pytest.mark.parametrize("inputs, downsample", [(64, 1), (16, 2), (4, 4), (1, 8)])
def test_digits_inputs_set_the_pooling(inputs, downsample):
    """For the digits, inputs is the pooled image size (8/downsample)^2: it sets downsample,
    and the pooled images have exactly that many pixels."""
    from rmtland.networks.data import digits_downsample, digits_pixels
    assert digits_downsample(inputs) == downsample == digits_downsample(inputs, downsample)
    assert digits_pixels(downsample) == inputs


@pytest.mark.parametrize("inputs, downsample, names", [
    (16, 4, ("inputs = 16", "downsample = 4")), (4, 2, ("inputs = 4", "downsample = 2")),
    (100, None, ("inputs",)), (10, None, ("inputs",)), (16, 3, ("downsample",))])
def test_digits_inputs_that_disagree_are_refused(inputs, downsample, names):
    """issue 17: --inputs 16 --downsample 4 ran with 4 inputs, --inputs 100 with 51."""
    from rmtland.networks.data import digits_downsample
    with pytest.raises(InputError) as exc:
        digits_downsample(inputs, downsample)
    assert all(n in str(exc.value) for n in names)
