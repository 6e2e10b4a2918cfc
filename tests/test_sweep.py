"""The sweep engine (rmtland.experiments.sweep; issue 13): grid expansion, seeds derived from the
sweep seed and the point's key, identical numbers in this process and on 1 or 2 Dask workers,
resume after an interrupt without computing a point twice, failed points recorded, a killed
worker's points rerun, bad specs refused (exit 2) before any point runs."""
import dataclasses
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rmtland import cli
from rmtland.experiments import sweep
from rmtland.experiments.sweep import Kind, load_spec, parse_spec, point_seed, run_sweep

SIMULATIONS = Path(__file__).resolve().parents[1] / "simulations"
EXAMPLES = sorted(SIMULATIONS.glob("sweep_*.toml"))
#: a tiny Hessian grid: 2 x 2 points x 2 seeds, ~0.05 s a point
TINY = {"kind": "hessian", "seed": 7, "seeds": 2,
        "grid": {"phi": [0.5, 2.0], "eps": [0.01, 0.2], "n": 40, "samples": 4}}


def numbers(summary):
    """The rows without the wall-clock seconds (the only field that may differ)."""
    return [{k: v for k, v in r.items() if k != "seconds"} for r in summary["rows"]]


def one_blas_thread():
    """One BLAS thread here, as in a Dask worker (which starts with OMP_NUM_THREADS=1): on a
    loaded 2-core machine a multithreaded BLAS makes these small points ~10x slower.  The
    numbers do not change (the serial vs workers test runs without it)."""
    import contextlib
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


# -- test kinds (module level: a Dask worker imports them by reference) ----------------------
def square(*, x, seed, device):
    """y = x^2, and a number drawn from the point's seed (so the seed is part of the result)."""
    if x == 2:
        raise ValueError("x = 2 is refused by this test kind")
    return {"y": x * x, "u": float(np.random.default_rng(seed).random()), "device": device}


def _check_x(value):
    return sweep.integer("x", 0, 10)(value)


@pytest.fixture
def square_kind(monkeypatch):
    monkeypatch.setitem(sweep.KINDS, "square", Kind("square", square, {"x": _check_x}))
    return {"kind": "square", "seed": 3, "grid": {"x": [0, 1, 2, 3, 4]}}


@pytest.fixture(scope="module")
def client2():
    """One 2-worker LocalCluster (processes) for the module's Dask tests, always closed."""
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
            Client(cluster, set_as_default=False) as client:
        yield client


# -- the spec ---------------------------------------------------------------------------------
def test_grid_forms_and_order(square_kind):
    """Lists, scalars, range (ints: Python's range; floats: start + i step below stop),
    linspace and logspace (both ends included), zips; the first axis varies slowest and the
    replicate fastest."""
    spec = {"kind": "hessian", "seeds": [5, 9],
            "grid": {"phi": {"logspace": [0.01, 1.0, 3]}, "eps": {"range": [0.1, 0.4, 0.1]},
                     "zip": [{"n": {"range": [40, 120, 40]}, "samples": [2, 3]}]}}
    s = parse_spec(spec)
    got = [(p.params["phi"], p.params["eps"], p.params["n"], p.params["samples"], p.replicate)
           for p in s.points]
    expected = [(phi, eps, n, m, r) for phi in (0.01, 0.1, 1.0) for eps in (0.1, 0.2, 0.3)
                for n, m in ((40, 2), (80, 3)) for r in (5, 9)]
    assert len(got) == len(expected) == 36
    np.testing.assert_allclose(np.array(got, float), np.array(expected, float), rtol=1e-14)
    assert all(p.params["dtype"] == "float64" for p in s.points)      # the kind's default
    lin = parse_spec({"kind": "hessian", "grid": {"phi": {"linspace": [0.2, 1.0, 5]},
                                                   "eps": 0.0, "n": 10, "samples": 1}})
    np.testing.assert_allclose([p.params["phi"] for p in lin.points], [0.2, 0.4, 0.6, 0.8, 1.0])


def test_point_seed_is_the_spawn_key_of_the_point():
    """The documented derivation, rebuilt from NumPy and hashlib: SeedSequence(seed) with spawn
    key (the first four big-endian 32-bit words of sha256 of the point's canonical JSON,
    replicate), its first two uint32 words as one 64-bit int."""
    params = {"phi": 0.5, "eps": 0.1, "n": 40, "samples": 4, "dtype": "float64"}
    text = json.dumps({"kind": "hessian", "params": params}, sort_keys=True,
                      separators=(",", ":"))
    d = hashlib.sha256(text.encode()).digest()
    words = [int.from_bytes(d[4 * i:4 * i + 4], "big") for i in range(4)]
    w = np.random.SeedSequence(11, spawn_key=(*words, 3)).generate_state(2, np.uint32)
    assert point_seed(11, "hessian", params, 3) == (int(w[1]) << 32) | int(w[0])
    # the key does not depend on the order the grid lists the parameters in
    a = parse_spec({"kind": "hessian", "seed": 11, "grid": {"phi": 0.5, "eps": 0.1, "n": 40,
                                                            "samples": 4}})
    b = parse_spec({"kind": "hessian", "seed": 11, "grid": {"samples": 4, "n": 40.0,
                                                            "eps": 0.1, "phi": 0.5}})
    assert a.points == b.points
    assert a.points[0].seed == point_seed(11, "hessian", params, 0)


def test_examples_parse_and_their_first_point_runs(tmp_path):
    """Every simulations/sweep_*.toml is valid, and the first point of each runs here (the
    whole specs run on 2 workers in the slow test below)."""
    sizes = {"sweep_hessian_index": 3 * 6 * 2, "sweep_spinglass": 3 * 4, "sweep_network": 8,
             "sweep_trained": 2 * 3}
    assert {p.stem for p in EXAMPLES} == set(sizes)
    for path in EXAMPLES:
        s = parse_spec(load_spec(path), str(path))
        assert len(s.points) == sizes[path.stem]
        one = dataclasses.replace(s, points=s.points[:1])
        summary = run_sweep(one, tmp_path / path.stem, workers=0, progress=False)
        assert (summary["done"], summary["failed"]) == (1, 0), summary["failures"]


# -- determinism, resume, failures ------------------------------------------------------------
def test_serial_one_and_two_workers_give_identical_numbers(tmp_path, client2):
    serial = run_sweep(TINY, tmp_path / "serial", workers=0, progress=False)
    one = run_sweep(TINY, tmp_path / "one", workers=1, progress=False)
    two = run_sweep(TINY, tmp_path / "two", scheduler=client2.scheduler.address,
                    progress=False)                 # an existing cluster, by its address
    assert serial["total"] == serial["done"] == 8
    assert one["runner"] == "distributed.LocalCluster" and one["workers"] == 1
    assert two["address"] == client2.scheduler.address
    assert numbers(serial) == numbers(one) == numbers(two)
    # the replicates differ (distinct seeds), so the equality above is not vacuous
    assert len({r["ks_distance"] for r in serial["rows"]}) == 8


def test_interrupt_then_rerun_computes_each_point_once(tmp_path, square_kind, monkeypatch):
    calls = []

    def counted(**kw):
        calls.append((kw["x"], kw["seed"]))
        return square(**kw)
    monkeypatch.setitem(sweep.KINDS, "square", Kind("square", counted, {"x": _check_x}))

    def stop_after_two(row):
        if len(calls) == 2:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        run_sweep(square_kind, tmp_path / "a", workers=0, progress=False,
                  on_result=stop_after_two)
    assert len(os.listdir(tmp_path / "a" / "points")) == 2
    resumed = run_sweep(square_kind, tmp_path / "a", workers=0, progress=False)
    assert len(calls) == len(set(calls)) == 5          # no point computed twice
    assert (resumed["skipped"], resumed["computed"]) == (2, 3)
    fresh = run_sweep(square_kind, tmp_path / "b", workers=0, progress=False)
    assert numbers(resumed) == numbers(fresh)


def test_a_failing_point_is_recorded_and_the_sweep_goes_on(tmp_path, square_kind, client2):
    for where, kw in (("serial", {"workers": 0}), ("dask", {"client": client2})):
        s = run_sweep(square_kind, tmp_path / where, progress=False, **kw)
        assert (s["total"], s["done"], s["failed"]) == (5, 4, 1)
        bad = [r for r in s["rows"] if r["status"] == "failed"]
        assert [r["x"] for r in bad] == [2]
        assert bad[0]["error"] == "ValueError: x = 2 is refused by this test kind"
        assert [r["y"] for r in s["rows"] if r["status"] == "done"] == [0, 1, 9, 16]
        saved = json.loads((tmp_path / where / "result.json").read_text())
        assert saved["failures"] == [{"point": bad[0]["point"], "error": bad[0]["error"]}]
    # a rerun retries the failed point only
    again = run_sweep(square_kind, tmp_path / "serial", workers=0, progress=False)
    assert (again["skipped"], again["computed"], again["failed"]) == (4, 1, 1)


def test_without_dask_the_serial_runner_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(sweep, "_has_dask", lambda: False)
    notes = []
    s = run_sweep({**TINY, "seeds": 1, "grid": {**TINY["grid"], "phi": 0.5, "eps": 0.1}},
                  tmp_path, progress=False, note=notes.append)
    assert s["runner"] == "in-process" and s["done"] == 1
    assert len(notes) == 1 and "rmtland[dist]" in notes[0] and "\n" not in notes[0]


def test_dask_cuda_gets_one_worker_per_gpu(monkeypatch):
    """Without GPUs, the choice only: dask_cuda.LocalCUDACluster with CUDA_VISIBLE_DEVICES
    listing one GPU per worker (a stand-in module records the call)."""
    made = []

    class FakeDaskCuda:
        @staticmethod
        def LocalCUDACluster(**kw):
            made.append(kw)
            return "cluster"
    monkeypatch.setitem(sys.modules, "dask_cuda", FakeDaskCuda)
    monkeypatch.setattr(sweep, "_gpu_count", lambda: 4)
    assert sweep.local_cluster(None, "gpu")[1] == {"runner": "dask_cuda.LocalCUDACluster",
                                                   "workers": 4}
    assert sweep.local_cluster(2, "auto")[1]["workers"] == 2
    assert [m["CUDA_VISIBLE_DEVICES"] for m in made] == ["0,1,2,3", "0,1"]


def test_import_rmtland_does_not_import_dask():
    code = ("import sys, rmtland, rmtland.experiments.sweep\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# -- the command line -------------------------------------------------------------------------
def write_spec(tmp_path, text):
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return str(path)


def test_cli_json_and_rerun(capsys, tmp_path):
    spec = write_spec(tmp_path, 'kind = "spinglass"\nseeds = 2\n[grid]\np = 3\nN = [8, 10]\n'
                                'starts = 4\n')
    out = tmp_path / "out"
    assert cli.main(["sweep", spec, "--out", str(out), "--workers", "0", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)       # exactly one JSON object
    assert {k: first[k] for k in ("total", "done", "failed", "skipped")} == \
        {"total": 4, "done": 4, "failed": 0, "skipped": 0}
    assert first["seconds"] > 0 and first["table"] == str(out / "table.csv")
    header = (out / "table.csv").read_text().splitlines()[0].split(",")
    assert header[:10] == ["point", "kind", "replicate", "seed", "p", "N", "starts", "device",
                           "status", "error"]
    rows = [json.loads(line) for line in (out / "table.jsonl").read_text().splitlines()]
    assert [(r["N"], r["replicate"]) for r in rows] == [(8, 0), (8, 1), (10, 0), (10, 1)]
    assert cli.main(["sweep", spec, "--out", str(out), "--workers", "0", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert (second["skipped"], second["computed"]) == (4, 0)
    assert (out / "table.jsonl").read_text().splitlines() == \
        [json.dumps(r) for r in rows]


BAD = [
    ('kind = "hesian"\n[grid]\nphi = 1\n', "kind: unknown kind 'hesian'"),
    ('kind = "hessian"\n[grid]\nphi = 0.5\neps = 0.1\nn = 10\nsamples = 2\nsize = 3\n',
     "grid.size: unknown parameter"),
    ('kind = "hessian"\n[grid]\nphi = [0.5, -1.0]\neps = 0.1\nn = 10\nsamples = 2\n',
     "grid.phi: phi must be > 0"),
    ('kind = "hessian"\n[grid]\nphi = 0.5\neps = 0.1\nn = 10\nsamples = 2.5\n',
     "grid.samples: samples must be an integer >= 1"),
    ('kind = "hessian"\n[grid]\nphi = 50.0\neps = 0.1\nn = 10\nsamples = 2\n',
     "grid point"),                                     # m = round(n/phi) = 0
    ('kind = "spinglass"\n[grid]\np = 5\nN = 4\nstarts = 2\n', "grid.p: p must be an integer"),
    ('kind = "hessian"\n[grid]\nphi = []\neps = 0.1\nn = 10\nsamples = 2\n',
     "grid.phi is empty"),
    ('kind = "hessian"\n[grid]\n', "the grid is empty"),
    ('kind = "hessian"\n[grid]\nphi = { logspace = [0.1, 1.0, 0] }\neps = 0.1\nn = 10\n'
     'samples = 2\n', "grid.phi is empty"),
    ('kind = "hessian"\nseeds = 0\n[grid]\nphi = 0.5\neps = 0.1\nn = 10\nsamples = 2\n',
     "seeds must be an integer >= 1"),
    ('kind = "hessian"\ngird = 1\n', "gird: unknown key"),
    ('kind = "hessian"\n[grid]\nphi = 0.5\neps = 0.1\nn = 10\n', "needs parameter 'samples'"),
    ('kind = "hessian"\n[grid]\nphi = 0.5\neps = 0.1\nn = 10\nsamples = 2\n'
     '[[grid.zip]]\nn = [1, 2]\nsamples = [1]\n', "grid.zip[0] lists must have one length"),
    ('kind = "hessian" [grid]', "is not valid TOML"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_bad_spec_exits_2_naming_the_key_before_any_point(capsys, tmp_path, text, message):
    spec = write_spec(tmp_path, text)
    code = cli.main(["sweep", spec, "--out", str(tmp_path / "out"), "--workers", "0"])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and message in err, err
    assert not (tmp_path / "out" / "points").exists()


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:9", "not-an-address"])
def test_a_scheduler_that_does_not_answer_exits_2(capsys, tmp_path, monkeypatch, address):
    monkeypatch.setattr(sweep, "CONNECT_TIMEOUT", 2.0)
    spec = write_spec(tmp_path, 'kind = "spinglass"\n[grid]\np = 3\nN = 6\nstarts = 2\n')
    code = cli.main(["sweep", spec, "--out", str(tmp_path / "out"), "--scheduler", address])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and repr(address) in err, err
    assert not (tmp_path / "out" / "points").exists()


def test_missing_spec_exits_2(capsys, tmp_path):
    code = cli.main(["sweep", str(tmp_path / "none.toml"), "--out", str(tmp_path / "o")])
    assert code == 2 and "does not exist" in capsys.readouterr().err


# -- reproduce --full through the sweep -------------------------------------------------------
def test_figure_kind_writes_each_figure_in_its_point_directory(tmp_path):
    """Kind "figure" (the unit of reproduce --full): a point runs run_figure into
    points/<key>/; the numbers are the library's (E_inf = 2 sqrt((p-1)/p), ABC13)."""
    s = run_sweep({"kind": "figure", "grid": {"name": ["spinglass_complexity"],
                                              "level": "smoke"}},
                  tmp_path, workers=0, progress=False)
    (row,) = s["rows"]
    assert row["status"] == "done", row["error"]
    point = tmp_path / "points" / row["point"]
    # (a dot file, if any, is the run directory's own bookkeeping)
    assert sorted(n for n in os.listdir(point) if not n.startswith(".")) == \
        ["result.json", "spinglass_complexity.png"]
    rec = json.loads((point / "result.json").read_text())
    E_inf = {t["p"]: t["E_inf"] for t in rec["summary"]["thresholds"]}
    assert E_inf[3] == pytest.approx(2 * np.sqrt(2 / 3), rel=1e-14)


@pytest.mark.slow
def test_reproduce_full_path_runs_figures_as_sweep_points(tmp_path):
    """The sweep path of reproduce (quick=False; at the smoke level and theory only here):
    every theory figure is one point, the files land in OUT as on the direct path (one PNG
    per figure, the data files), the numbers are the library's, and a rerun recomputes
    nothing."""
    from rmtland import experiments
    from rmtland.experiments.hessian import theory_table
    names = [n for n, f in experiments.FIGURES.items() if f.kind != "simulation"]
    swept = experiments.reproduce(tmp_path, quick=False, smoke=True, simulate=False,
                                  workers=0, progress=False)
    assert swept["sweep"]["done"] == swept["sweep"]["total"] == len(names)
    assert sorted(n for n in os.listdir(tmp_path) if n.endswith(".png")) == \
        sorted(n + ".png" for n in names)
    data = json.loads((tmp_path / "theory_hessian.json").read_text())
    assert data["table"] == json.loads(json.dumps(theory_table()))
    assert sorted(data["figures"]) == sorted(names)
    again = experiments.reproduce(tmp_path, quick=False, smoke=True, simulate=False,
                                  workers=0, progress=False)
    assert again["sweep"]["skipped"] == again["sweep"]["total"]


# -- slow: a killed worker, the example specs on 2 workers ------------------------------------
@pytest.mark.slow
def test_killed_worker_points_are_rerun_and_the_table_equals_serial(tmp_path):
    """SIGKILL the worker process (not its nanny) that holds the most points in flight, as
    the first point comes back; the nanny starts a new one, the scheduler reruns the lost
    points, and the table equals the serial run's."""
    from distributed import Client, LocalCluster
    spec = {**TINY, "seeds": 6, "grid": {**TINY["grid"], "n": 120, "samples": 8}}
    with one_blas_thread():
        serial = run_sweep(spec, tmp_path / "serial", workers=0, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=logging.CRITICAL) as cluster, \
            Client(cluster, set_as_default=False) as client:
        pids = client.run(os.getpid)
        killed = []

        def kill_one(row):
            if not killed:
                busy = client.processing()
                addr = max(pids, key=lambda a: len(busy.get(a, ())))
                killed.append((pids[addr], len(busy.get(addr, ()))))
                os.kill(pids[addr], signal.SIGKILL)
        dist = run_sweep(spec, tmp_path / "dist", client=client, progress=False,
                         on_result=kill_one)
        assert killed[0][0] not in client.run(os.getpid).values()   # replaced by its nanny
    assert killed[0][1] >= 1                  # the killed worker had points in flight
    assert dist["done"] == dist["total"] == 24
    assert numbers(dist) == numbers(serial)


@pytest.mark.slow
def test_example_specs_on_two_workers(tmp_path, client2):
    """Each example spec, whole, on the 2-worker cluster; checks with provenance per kind."""
    from rmtland.analytic.hessian import eps_c
    res = {p.stem: run_sweep(p, tmp_path / p.stem, client=client2, progress=False)
           for p in EXAMPLES}
    for s in res.values():
        assert s["done"] == s["total"], s["failures"]
    for r in res["sweep_hessian_index"]["rows"]:
        # index: the sample mean of 8 matrices, within 4 s.e. of the theory at the realised
        # n/m, plus the O(1/n) finite-size bias (below one eigenvalue per matrix: b_inf of
        # figure hessian_finite_size is a fraction of an eigenvalue), hence 1/n
        if r["index_stderr"]:
            assert abs(r["empirical_index"] - r["theory_index"]) <= \
                4 * r["index_stderr"] + 1.0 / r["n"]
        # below eps_c (phi < 1) the theory index is 0 (PB17 Eq. (16))
        if r["phi"] < 1 and r["eps"] < eps_c(r["phi_effective"]):
            assert r["theory_index"] == 0.0
    for r in res["sweep_spinglass"]["rows"]:
        assert r["max_gradient_norm"] < 1e-8 and r["minima"] >= 1
    for r in res["sweep_trained"]["rows"]:
        # 16 inputs (8x8 digits pooled to 4x4) -> width -> 10 classes, no biases
        assert r["parameters"] == r["width"] * (16 + 10) and r["networks"] == 16
        assert 0 < r["train_mean"] and 0 < r["test_mean"] and r["train_std"] >= 0
    for r in res["sweep_network"]["rows"]:
        # one hidden layer, no biases: hidden (inputs + outputs) parameters; phi = n/(k m)
        assert r["parameters"] == r["hidden"] * (r["inputs"] + r["outputs"])
        assert r["phi"] == pytest.approx(r["parameters"] / (r["outputs"] * r["samples"]))
