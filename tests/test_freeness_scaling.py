"""The freeness-scaling study (issue 18, rmtland.experiments.freeness_scaling): its JSON, the
task's phi = n/(km) at every size, refusal of oversized input before any work, the power-law
fits on exact power laws, and the known answer of a truly free control (H1 -> Q H1 Q^T with an
independent Haar Q): the rejection rate at 5% is 5% and the p-values are uniform."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binom

import rmtland
from rmtland.compare import networks as cn
from rmtland.experiments import freeness_scaling as fs
from rmtland.networks import MLP
from rmtland._validate import InputError

from _calibration import LEVEL, assert_uniform

TINY = fs.FreenessScalingConfig(ladder=((2, 3, 2), (4, 6, 2)), units=2, null_draws=19,
                                grid=129)
ROW_KEYS = {"d", "h", "k", "n", "m", "phi", "phi_realised", "null_draws", "p_floor", "units",
            "loss_mean", "loss_se", "steps_mean", "reached", "h1_ratio_mean", "h1_ratio_se",
            "eps_matched_mean", "eps_matched_se", "seconds"} | set(cn.FREENESS_KEYS)
TEST_KEYS = {f"{s}_{e}" for s in fs.STATISTICS for e in ("mean", "se")} | {
    "p_values", "tested", "rejected", "reject_fraction", "reject_se"}


@pytest.fixture(scope="module")
def tiny():
    return fs.freeness_scaling(TINY)


def test_json_keys(tiny):
    """Every documented key, JSON without NaN, one row per (phi, rung), fits per phi."""
    text = json.dumps(tiny, allow_nan=False)
    assert json.loads(text)["config"]["units"] == 2
    assert set(tiny) == {"config", "rows", "fits", "level", "seconds"}
    assert len(tiny["rows"]) == len(TINY.phis) * len(TINY.ladder)
    for row in tiny["rows"]:
        assert ROW_KEYS <= set(row)
        assert row["p_floor"] == 1 / 20 and row["null_draws"] == 19
        for key in cn.FREENESS_KEYS:
            assert TEST_KEYS <= set(row[key])
            assert row[key]["tested"] <= row["units"] == len(row["points"])
    assert set(tiny["fits"]) == {"0.75", "1.5"}
    for fits in tiny["fits"].values():
        assert set(fits) == set(cn.FREENESS_KEYS)
        assert set(fits["ks_rotated"]) == set(fs.STATISTICS)


def test_phi_is_n_over_km_at_every_size(tiny):
    """The task's phi = n/(km) (PB17 Sec. 2) is the requested phi exactly on the default
    ladder (h a multiple of 6: m = n/(k phi) an integer at phi = 0.75, 1.5), and the rows' m is
    the sample count of the networks measured (MLP.phi(m) = n/(km), n = (d + k) h)."""
    for size in fs.check_freeness_scaling()["sizes"]:
        n, k, m = size["n"], size["k"], size["m"]
        assert n == (size["d"] + k) * size["h"] == MLP([size["d"], size["h"], k]).n_params
        assert size["phi_realised"] == n / (k * m) == size["phi"]
    for row in tiny["rows"]:
        assert row["phi_realised"] == MLP([row["d"], row["h"], row["k"]]).phi(row["m"])
        assert abs(row["m"] - row["n"] / (row["k"] * row["phi"])) <= 0.5


def test_points_are_at_the_target_loss(tiny):
    """Each unit is the first descent snapshot with loss <= eps_target (all reach it here):
    below the target, and H1 not negligible (the point is not a minimum)."""
    for row in tiny["rows"]:
        assert row["reached"] == row["units"]
        for p in row["points"]:
            assert p["loss"] <= TINY.eps_target and p["h1_ratio"] > 0.01


def test_oversized_input_refused_before_any_work(monkeypatch):
    """A 10^5-wide hidden layer (n = 2e5: dense Hessians of 3e11 bytes) is refused naming the
    size, before a data set is drawn or a test run; so is work above max_operations, and
    out-of-range fields."""
    def boom(*a, **k):
        raise AssertionError("work started")
    monkeypatch.setattr(fs.datasets, "gaussian_task", boom)
    monkeypatch.setattr(fs.cmp, "freeness_test", boom)
    big = fs.FreenessScalingConfig(ladder=((4, 6, 2), (1, 100_000, 1)))
    with pytest.raises(InputError, match="hidden|samples"):
        fs.freeness_scaling(big)
    with pytest.raises(InputError, match="operations"):
        fs.freeness_scaling(fs.FreenessScalingConfig(max_operations=1e6))
    for bad, name in [(dict(units=1), "units"), (dict(phis=(0.75, -1.0)), "phis"),
                      (dict(ladder=((4, 6),)), "ladder"), (dict(grid=128), "grid"),
                      (dict(null_draws=0), "null_draws"), (dict(level=1.5), "level")]:
        with pytest.raises(InputError, match=name):
            fs.freeness_scaling(fs.FreenessScalingConfig(**bad))


def test_fits_recover_exact_power_laws():
    """On exact power laws ks = 2 n^-1/2 and null = n^-1 the fitted slopes are -1/2, -1 and,
    for the ratio of the means given, +1/2 (residuals 0, so s.e. 0 to rounding); the excess is
    fitted only where positive at every size."""
    n = np.array([36.0, 120.0, 432.0, 936.0])
    rows = [{"n": v, **{key: {"ks_mean": 2 * v ** -0.5, "null_mean_mean": v ** -1.0,
                              "ratio_mean": 2 * v ** 0.5, "excess_mean": 2 * v ** -0.5 - 1 / v}
                        for key in cn.FREENESS_KEYS}} for v in n]
    rows[0]["ks_rotated"]["excess_mean"] = -0.01
    fits = fs.scaling_fits(rows)
    f = fits["ks_free_convolution"]
    for stat, slope, c in [("ks", -0.5, 2.0), ("null_mean", -1.0, 1.0), ("ratio", 0.5, 2.0)]:
        assert f[stat]["slope"] == pytest.approx(slope, abs=1e-12)
        assert f[stat]["prefactor"] == pytest.approx(c, rel=1e-12)
        assert f[stat]["stderr"] < 1e-12 and f[stat]["sizes"] == 4
    assert fits["ks_rotated"]["excess"] is None
    assert f["excess"]["slope"] == pytest.approx(
        np.polyfit(np.log(n), np.log(2 * n ** -0.5 - 1 / n), 1)[0], abs=1e-12)


@pytest.mark.slow
def test_free_control_rejects_at_the_level():
    """Known answer: with H1 replaced by Q H1 Q^T (independent Haar Q) the pair is exactly the
    null's, so each p-value is uniform on {1, ..., R+1}/(R+1) (freeness_test notes) and
    P(p <= 0.05) = 1/20 exactly at R = 19.  40 units of PB17's [4, 6, 2] network at phi = 0.75
    (where the unrotated points reject at ~100%): per test the number rejecting lies inside the
    0.1% / 99.9% quantiles of Binomial(N, 1/20), N the units whose distance is resolved, and
    the p-values pass the uniformity check of tests/_calibration.py.  Whether (a) is resolved
    depends on spec H0 and spec H1 only (freeness_test notes), which the rotation keeps, so
    leaving the unresolved units out keeps the p-values uniform."""
    cfg = fs.FreenessScalingConfig(ladder=((4, 6, 2),), phis=(0.75,), units=40, null_draws=19,
                                   grid=257, rotations=4, rotate_h1=True, seed=7)
    row = fs.freeness_scaling(cfg)["rows"][0]
    for key in cn.FREENESS_KEYS:
        p = [x for x in row[key]["p_values"] if x is not None]
        assert len(p) == row[key]["tested"] >= 30, key
        lo, hi = binom.ppf(LEVEL, len(p), 1 / 20), binom.ppf(1 - LEVEL, len(p), 1 / 20)
        assert lo <= row[key]["rejected"] <= hi, (key, row[key]["rejected"], len(p))
        assert_uniform(p, what=key)


def _script():
    path = Path(__file__).resolve().parents[1] / "simulations" / "freeness_scaling.py"
    spec = importlib.util.spec_from_file_location("_sim_freeness_scaling", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path


def test_script_smoke_and_bad_input(tmp_path):
    """The thin script: a Claim docstring, --smoke writes result.json (with the seed, device,
    versions, seconds and its files, as every simulation's) and one PNG; a hidden
    width that is not a multiple of 3, or a bad field, exits 2 before writing."""
    module, path = _script()
    assert "Claim" in module.__doc__ and "sys.path" not in path.read_text()
    out = tmp_path / "out"
    assert module.main(["--smoke", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "freeness_scaling.png", "result.json"]
    assert (out / "freeness_scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = json.loads((out / "result.json").read_text())
    assert result["config"]["units"] == 2 and result["seed"] == result["config"]["seed"] == 0
    assert result["device"] == "cpu" and result["versions"]["rmtland"] == rmtland.__version__
    assert result["files"] == ["freeness_scaling.png", "result.json"] and result["seconds"] > 0
    assert module.main(["--hidden", "4", "--out", str(tmp_path / "a")]) == 2
    assert module.main(["--units", "1", "--out", str(tmp_path / "b")]) == 2
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())
