"""The network study: simulate network writes numbers anyone can recheck, bad input exits 2."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rmtland import experiments  # noqa: E402
from rmtland.cli import main  # noqa: E402
from rmtland.networks import MLP  # noqa: E402


def test_points_npz_rechecks(tmp_path):
    """Every saved point is a critical point of the saved data: its gradient, recomputed from
    points.npz with a fresh MLP, is below 1e-10 of the largest gradient the residual could
    give (the finder's scale, sqrt(2 L lambda_max(H0)) by Cauchy-Schwarz) -- here a looser
    absolute 1e-8, since the scale is O(1) at these sizes."""
    res = experiments.simulate_network(4, 3, 2, 12, starts=8, seed=1, out=str(tmp_path),
                                       progress=False, max_freeness=2, reference_samples=1)
    z = np.load(tmp_path / "points.npz")
    model = MLP([3, 4, 2], activation="tanh")
    g = model.gradient(z["theta"], z["X"], z["Y"])
    assert len(res["critical_points"]) == z["theta"].shape[0] > 0
    assert np.max(np.linalg.norm(g, axis=1)) < 1e-8
    assert np.allclose(model.loss(z["theta"], z["X"], z["Y"]), z["loss"], rtol=1e-12)
    saved = json.loads((tmp_path / "result.json").read_text())
    assert saved["phi"] == pytest.approx(model.n_params / (2 * 12))
    assert sorted(saved["files"]) == ["network.png", "points.npz", "result.json"]
    # the saved spectra are those of the saved points: H = H0 + H1 has trace tr H0 + tr H1,
    # and H's eigenvalues are those of the engine's Hessian at the point (eigvalsh, 1e-10)
    assert np.allclose(z["eig_H"].sum(1), z["eig_H0"].sum(1) + z["eig_H1"].sum(1), atol=1e-10)
    H = model.hessian(z["theta"], z["X"], z["Y"])
    assert np.allclose(np.linalg.eigvalsh(H), z["eig_H"], atol=1e-10)
    for s in saved["at_infinity_starts"]:     # run-offs: saturated or grown 100x (NORM_GROWTH),
        assert s["zmax"] > 9.5 or s["norm_growth"] > 100 or s["saturated_units"] > 0 or (
            s["converged"] and s["index_count"] == 0 and s["zero_modes"] > 0)  # or rule (c)


@pytest.mark.parametrize("args, name", [
    (["--hidden", "0"], "hidden"), (["--samples", "0"], "samples"),
    (["--starts", "0"], "starts"), (["--activation", "sigmoid"], "activation"),
    (["--null-draws", "0"], "null-draws"),
])
def test_bad_input_exits_2(capsys, tmp_path, args, name):
    base = {"--hidden": "3", "--inputs": "3", "--outputs": "2", "--samples": "10"}
    base.update(dict(zip(args[::2], args[1::2])))
    argv = ["simulate", "network", *[x for kv in base.items() for x in kv],
            "--out", str(tmp_path)]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and name in err and err.count("\n") == 1


def test_digits_without_the_extra_exits_2(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    code = main(["simulate", "network", "--hidden", "3", "--inputs", "16", "--outputs", "3",
                 "--samples", "30", "--data", "digits", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "rmtland[data]" in err and err.count("\n") == 1


def test_linear_landscape_recall():
    """The finder against the exact Baldi-Hornik list of a 3 -> 2 -> 3 linear network: no
    spurious point, every found index equals the exact one, the global minimum is found."""
    land = experiments.networks.linear_landscape(3, 2, 3, 30, 24, seed=0)
    assert land["spurious"] == 0 and land["index_agrees"]
    assert min(land["found_loss"]) == pytest.approx(min(land["exact_loss"]), rel=1e-10)
    assert land["recall"] >= 0.5


@pytest.mark.parametrize("args, name", [
    (["--steps", "-1"], "steps"), (["--reference-samples", "-2"], "reference-samples"),
    (["--downsample", "3", "--data", "digits"], "downsample"),
])
def test_bad_network_options_exit_2(capsys, tmp_path, args, name):
    argv = ["simulate", "network", "--hidden", "3", "--inputs", "3", "--outputs", "2",
            "--samples", "10", *args, "--out", str(tmp_path)]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and name in err and err.count("\n") == 1


def test_digits_options_on_other_data_exit_2(capsys, tmp_path):
    """PB's preprocessing applies to the digits only: asking for it on Gaussian data is bad
    input, refused before any computing (the output directory stays empty)."""
    code = main(["simulate", "network", "--hidden", "3", "--inputs", "3", "--outputs", "2",
                 "--samples", "10", "--whiten", "zca", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "whiten" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


@pytest.mark.parametrize("args, names", [
    (["--inputs", "16", "--downsample", "4"], ("inputs = 16", "downsample = 4")),
    (["--inputs", "100"], ("inputs", "64, 16, 4, 1")),
    (["--inputs", "16", "--outputs", "11"], ("outputs", "[2, 10]")),
])
def test_digits_inputs_conflict_exits_2(capsys, tmp_path, args, names):
    """issue 17: ``--data digits --inputs 16 --downsample 4`` silently ran with 4 inputs and
    ``--inputs 100`` with 51; now both exit 2, one line naming the conflict, nothing written."""
    code = main(["simulate", "network", "--hidden", "3", "--outputs", "2", "--samples", "40",
                 "--data", "digits", *args, "--out", str(tmp_path / "o"), "--no-progress"])
    # (a repeated option: argparse keeps the last, so --outputs 11 overrides the 2 above)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and all(n in err for n in names)
    assert not (tmp_path / "o").exists()


def test_digits_inputs_are_reported(capsys, tmp_path):
    """``--inputs 16`` on the digits pools by 2 (16 pixels); the JSON says how many inputs the
    network really has after the standardisation drops the pixels constant over the samples:
    exactly the pooled pixels with a non-zero spread, recomputed here from the data."""
    pytest.importorskip("sklearn")
    code = main(["simulate", "network", "--hidden", "2", "--inputs", "16", "--outputs", "2",
                 "--samples", "30", "--data", "digits", "--starts", "2", "--steps", "0",
                 "--maxiter", "5", "--reference-samples", "0", "--no-progress", "--json",
                 "--out", str(tmp_path)])
    res = json.loads(capsys.readouterr().out)
    assert code == 0 and res["pixels"] == 16 and res["downsample"] == 2
    from rmtland import _seeds
    from rmtland._backend import to_numpy
    from rmtland.networks import data as datasets
    s_data = _seeds.children(0, 4)[0]              # simulate_network's data seed, --seed 0
    raw = datasets.digits(classes=[0, 1], m=30, downsample=2, rng=s_data, one_hot=False)
    assert res["inputs"] == int((to_numpy(raw.X).std(axis=0) > 0).sum()) <= 16
    assert "16 is the pooled image size" in res["inputs_note"]


def test_json_contract_every_point(capsys, tmp_path):
    """issue 18's contract: every entry of critical_points of ``simulate network --json`` has
    max_preactivation, zero_modes, index (the fraction index_count / n), index_count and
    freeness with a p-value per distance and null_draws (every point tested by default); the
    finiteness counts add up to the finder's status and no returned point breaks the rule
    (max |z| <= 15 for tanh; no zero mode at a minimum)."""
    code = main(["simulate", "network", "--hidden", "3", "--inputs", "3", "--outputs", "2",
                 "--samples", "12", "--starts", "4", "--steps", "0", "20", "--maxiter", "60",
                 "--reference-samples", "1", "--no-progress", "--json",
                 "--out", str(tmp_path)])
    res = json.loads(capsys.readouterr().out)
    assert code == 0 and res["critical_points"]
    n = res["parameters"]
    for p in res["critical_points"]:
        assert p["index"] == p["index_count"] / n
        assert p["max_preactivation"] <= 15.0
        assert p["index_count"] > 0 or p["zero_modes"] == 0
        f = p["freeness"]
        assert f["tested"] and f["null_draws"] == 100
        for k in ("ks_free_convolution", "ks_rotated", "ks_pennington_bahri"):
            assert f["p_value"][k] is None or 1 / 101 <= f["p_value"][k] <= 1
        assert f["p_value"]["ks_rotated"] is not None
    fin = res["finiteness"]
    assert fin["finite_starts"] == res["status"]["critical"]
    assert fin["at_infinity_starts"] == res["status"]["at_infinity"] == len(
        res["at_infinity_starts"])
    for s in res["at_infinity_starts"]:
        assert s["converged"] is False or s["max_preactivation"] > 15 or (
            s["index_count"] == 0 and s["zero_modes"] > 0) or s["saturated_units"] > 0


def test_huge_null_draws_refused_up_front():
    """The work check counts the null draws: 1e12 Haar rotations per tested point are refused
    before anything runs, naming null_draws and its largest allowed value."""
    from rmtland._validate import InputError
    with pytest.raises(InputError, match=r"null_draws must be an integer in \[1, \d+\]"):
        experiments.networks.check_network(4, 3, 2, 12, null_draws=10 ** 12)
    plan = experiments.networks.check_network(4, 3, 2, 12, null_draws=100)
    more = experiments.networks.check_network(4, 3, 2, 12, null_draws=1000)
    assert more["operations"] > plan["operations"]


def test_linear_landscape_ladder_json():
    """The linear study's recall against the starts (issue 18, item 5): per task and design a
    nested ladder, monotone in the starts; classes and levels both reported; the top-level
    numbers are the first task and design at ``starts``; the global-minimum flag agrees with
    the starts needed for it; the basin frequencies sum to the fraction of starts on a class."""
    land = experiments.networks.linear_landscape(3, 2, 3, 30, 12, seed=0, ladder=[24, 48])
    assert land["ladder"] == [12, 24, 48] and land["classes"] == 7 and land["levels"] == 7
    assert set(land["tasks"]) == {"gaussian", "teacher"}
    lad0 = land["tasks"]["gaussian"]["designs"]["random"]
    assert land["classes_found"] == lad0["classes_found"][0]
    assert land["global_minimum_found"] == lad0["global_minimum_found"][0]
    for task in land["tasks"].values():
        assert task["exact_global_minima"] == 1 and task["global_minimum_class"] == [0, 1]
        for lad in task["designs"].values():
            assert lad["starts_run"] == 48
            assert all(np.diff(lad["classes_found"]) >= 0)
            assert all(np.diff(lad["levels_found"]) >= 0)
            need = lad["starts_needed_global_minimum"]
            assert lad["global_minimum_found"] == [need is not None and need <= n
                                                   for n in lad["starts"]]
            assert sum(lad["basin_frequency"]) == pytest.approx(
                lad["converged_on_class_fraction"], abs=1e-12)
            assert lad["converged_on_class_fraction"] <= lad["converged_fraction"]
            assert lad["spurious"][-1] == 0 and lad["off_class"][-1] == 0
