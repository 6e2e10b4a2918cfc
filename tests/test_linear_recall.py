"""Recall of the critical-point finder against the exact Baldi-Hornik enumeration of a
two-layer linear network (issue 18, item 5): classes by their product W2 W1, the starts
ladder, basin frequencies, the global minimum."""
import numpy as np
import pytest

from rmtland._validate import InputError
from rmtland.analytic import linear as lin
from rmtland.experiments import networks as N
from rmtland.networks import MLP
from rmtland.networks import data as datasets
from rmtland.networks.critical import find_network_critical_points


@pytest.fixture(scope="module")
def small():
    """3 -> 2 -> 3 on 30 Gaussian samples: 1 + 3 + 3 = 7 classes (subsets of at most 2 of
    Sigma's 3 eigenvectors), one of them the global minimum I = {0, 1}."""
    task = datasets.gaussian_task(30, 3, 3, rng=1)
    X, Y = task.X, task.Y
    return MLP([3, 2, 3], "linear"), X, Y, N._exact_classes(X, Y, 2)


def test_exact_classes_known_answer(small):
    """The enumeration: sum_{r<=2} C(3, r) = 7 classes; the global minimum is I = {0, 1}, the
    only index-0 class; the losses are (tr Syy - sum_I lambda_i) / 2k (BH89)."""
    model, X, Y, ex = small
    assert len(ex["subset"]) == 7 and ex["global_minima"] == 1
    assert ex["subset"][ex["global_minimum"]] == [0, 1]
    assert list(np.nonzero(ex["index_count"] == 0)[0]) == [ex["global_minimum"]]
    Sxx, Sxy, Syy = lin.covariances(X, Y)
    lam = np.asarray(ex["lambda"])
    want = [(np.trace(Syy) - lam[list(I)].sum()) / 6 for I in ex["subset"]]
    np.testing.assert_allclose(ex["loss"], want, rtol=1e-12)


def test_every_class_found_with_enough_starts(small):
    """The "scales" start design (init scales 0.1 -- near the origin, whose basin LeCun starts
    almost never reach -- to 4), 96 starts: every class is found, every point found is on a
    class with the class's exact index, the ladder is monotone, the basin counts sum to the
    converged starts, and the global minimum is flagged exactly when a point at its loss was
    found."""
    model, X, Y, ex = small
    th = N._design_starts(model, X, Y, "scales", 96, np.random.SeedSequence(3))
    assert th.shape == (96, model.n_params)
    found = find_network_critical_points(model, X, Y, theta0=th)
    pc = N._point_classes(model, found, ex)
    lad = N._starts_ladder(found, ex, pc, [12, 24, 48, 96])
    assert lad["classes_found"][-1] == lad["classes"] == 7 and lad["missed_classes"] == []
    assert lad["starts_needed_all_classes"] == max(lad["first_start"]) <= 96
    assert all(np.diff(lad["classes_found"]) >= 0) and all(np.diff(lad["levels_found"]) >= 0)
    assert lad["off_class"] == [0] * 4 and lad["spurious"] == [0] * 4
    conv = lad["status"]["critical"]
    assert sum(lad["basin_starts"]) == conv
    assert sum(lad["basin_frequency"]) == pytest.approx(lad["converged_fraction"], abs=1e-15)
    full = N._recall(found, ex, pc)
    assert full["index_agrees"] and full["classes_found"] == 7
    # the flag against the loss: a found point at the global minimum's loss
    for n, flag in zip(lad["starts"], lad["global_minimum_found"]):
        r = N._recall(found, ex, pc, n)
        at_min = any(abs(l - ex["loss"][ex["global_minimum"]]) <= 1e-9 for l in r["found_loss"])
        assert flag == at_min == (lad["starts_needed_global_minimum"] <= n)


def test_first_start_is_exact(small):
    """``first_start`` is the 1-based number of the first start on each class: the smallest
    prefix that holds the class, checked against _recall on the prefixes either side."""
    model, X, Y, ex = small
    found = find_network_critical_points(model, X, Y, starts=40, rng=5)
    pc = N._point_classes(model, found, ex)
    lad = N._starts_ladder(found, ex, pc, [40])
    for c, f in enumerate(lad["first_start"]):
        sub = ex["subset"][c]
        if f is None:
            assert sub not in N._recall(found, ex, pc, 40)["found_classes"]
            continue
        assert sub in N._recall(found, ex, pc, f)["found_classes"]
        assert f == 1 or sub not in N._recall(found, ex, pc, f - 1)["found_classes"]


def test_ladder_on_synthetic_starts():
    """_recall / _starts_ladder on a made-up run with a known answer: 3 classes (class 2 the
    global minimum), 6 starts landing on points [0, -1, 1, 0, 2, 1] (-1: not converged) whose
    classes are [1, 0, -1]: point 2 is on no class and no loss level, the minimum is missed."""
    exact = {"subset": [[], [0], [1]], "loss": np.array([0.5, 0.3, 0.2]),
             "index_count": np.array([2, 1, 0]), "global_minimum": 2, "global_minima": 1}
    found = {"start_point": np.array([0, -1, 1, 0, 2, 1]),
             "start_status": np.array(["critical", "not_converged", "critical", "critical",
                                       "critical", "critical"]),
             "loss": np.array([0.3, 0.5, 0.25]), "index_count": np.array([1, 2, 1])}
    point_class = np.array([1, 0, -1])
    lad = N._starts_ladder(found, exact, point_class, [1, 3, 6])
    assert lad["classes_found"] == [1, 2, 2] and lad["levels_found"] == [1, 2, 2]
    assert lad["off_class"] == [0, 0, 1] and lad["spurious"] == [0, 0, 1]
    assert lad["first_start"] == [3, 1, None] and lad["missed_classes"] == [[1]]
    assert lad["starts_needed_all_classes"] is None
    assert lad["starts_needed_global_minimum"] is None
    assert lad["global_minimum_found"] == [False, False, False]
    assert lad["basin_starts"] == [2, 2, 0]            # start 4 is on no class
    assert lad["converged_fraction"] == pytest.approx(5 / 6)
    assert lad["converged_on_class_fraction"] == pytest.approx(4 / 6)
    assert lad["expected_starts_global_minimum"] is None
    r = N._recall(found, exact, point_class, 3)
    assert r["index_agrees"] and r["found_classes"] == [[], [0]]


def test_global_minimum_kept_by_the_rules(small):
    """The finder's rules do not reject the exact minimum: started 1% away from it in random
    GL(2) gauges (unbalanced layers), every start converges back, is classed as the global
    minimum with index 0 and exactly p^2 = 4 zero modes (the GL(p) orbit, BH89)."""
    model, X, Y, ex = small
    Sxx, Sxy, Syy = lin.covariances(X, Y)
    gm = lin.baldi_hornik_critical_points(Sxx, Sxy, Syy, 2)[ex["global_minimum"]]
    g = np.random.default_rng(0)
    th = []
    for _ in range(8):
        C = g.standard_normal((2, 2)) + 2 * np.eye(2)
        t = model.flatten([(np.linalg.solve(C, gm["W1"])[None], None),
                           ((gm["W2"] @ C)[None], None)])[0]
        th.append(t + 1e-2 * np.linalg.norm(t) / np.sqrt(t.size) * g.standard_normal(t.size))
    found = find_network_critical_points(model, X, Y, theta0=np.array(th))
    assert found["status"]["critical"] == 8
    pc = N._point_classes(model, found, ex)
    assert set(pc.tolist()) == {ex["global_minimum"]}
    assert set(found["index_count"].tolist()) == {0} and set(found["zero_modes"].tolist()) == {4}


@pytest.mark.parametrize("kw, name", [({"ladder": [0]}, "ladder"), ({"data": ["digits"]}, "data"),
                                      ({"designs": "random"}, "designs"),
                                      ({"designs": []}, "designs")])
def test_linear_landscape_bad_input(kw, name):
    with pytest.raises(InputError, match=name):
        N.linear_landscape(3, 2, 3, 30, 4, **kw)
