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
import time
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
def test_serial_one_and_two_workers_give_identical_numbers(tmp_path, client2, monkeypatch):
    serial = run_sweep(TINY, tmp_path / "serial", workers=0, progress=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)   # client2's nanny set it
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    before = dict(os.environ)
    one = run_sweep(TINY, tmp_path / "one", workers=1, progress=False)
    assert dict(os.environ) == before            # the sweep's nanny left the caller's alone
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
    monkeypatch.setattr(sweep.runners, "_has_dask", lambda: False)
    notes = []
    s = run_sweep({**TINY, "seeds": 1, "grid": {**TINY["grid"], "phi": 0.5, "eps": 0.1}},
                  tmp_path, progress=False, note=notes.append)
    assert s["runner"] == "in-process" and s["done"] == 1
    assert len(notes) == 1 and "rmtland[dist]" in notes[0] and "\n" not in notes[0]


def test_the_sweeps_workers_keep_glibc_trimming_as_the_caller_has_it(monkeypatch):
    """Dask's MALLOC_TRIM_THRESHOLD_=65536 is not set in the sweep's own workers (it made
    every point fault its arrays in afresh: NANNY_ENVIRON_UNSET); a value the caller sets is
    inherited; the other pre-spawn variables (one BLAS thread) are kept."""
    from distributed import Client
    for value in (None, "123456"):
        if value is None:
            monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
        else:
            monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", value)
        with sweep.nanny_environ_kept():
            cluster, _ = sweep.local_cluster(1, "cpu")
            with cluster, Client(cluster, set_as_default=False) as client:
                env = client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"),
                                          os.environ.get("OPENBLAS_NUM_THREADS")))
        assert list(env.values()) == [(value, "1")]
        assert os.environ.get("MALLOC_TRIM_THRESHOLD_") == value


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
    monkeypatch.setattr(sweep.runners, "_gpu_count", lambda: 4)
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


@pytest.fixture
def servers():
    """Two local TCP servers that are not Dask schedulers: one silent (accepts, never
    writes), one that answers anything with an HTTP 400 (as a proxy in front of an
    unreachable address does); their addresses."""
    import socket
    import threading
    made, conns = [], []

    def serve(sock, reply):
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            conns.append(conn)
            if reply:
                conn.sendall(reply)
    for reply in (b"", b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"):
        sock = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=serve, args=(sock, reply), daemon=True).start()
        made.append(sock)
    yield {name: f"tcp://127.0.0.1:{sock.getsockname()[1]}"
           for name, sock in zip(("silent", "http"), made)}
    for sock in made + conns:
        sock.close()


@pytest.mark.parametrize("address, cause", [
    ("tcp://127.0.0.1:9", "connection refused"),           # a closed port
    ("silent", "no reply"), ("http", "something answers there, but not in Dask's protocol"),
    ("tcp://10.255.255.1:8786", ""),                        # unroutable (or a proxy's)
    ("not-an-address", "is not an address like tcp://host:8786")])
def test_a_scheduler_that_does_not_answer_exits_2(capsys, tmp_path, monkeypatch, servers,
                                                 address, cause):
    """Exit 2 with one line naming --scheduler, the address, the timeout and the cause,
    within the timeout (1 s here); nothing written."""
    monkeypatch.setattr(sweep.runners, "CONNECT_TIMEOUT", 1.0)
    address = servers.get(address, address)
    spec = write_spec(tmp_path, 'kind = "spinglass"\n[grid]\np = 3\nN = 6\nstarts = 2\n')
    code = cli.main(["sweep", spec, "--out", str(tmp_path / "out"), "--scheduler", address])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"--scheduler {address!r}" in err and cause in err
    if address.startswith("tcp"):
        assert "no Dask scheduler answers within 1 s" in err
    assert "MemoryError" not in err
    assert not (tmp_path / "out").exists()


def test_a_scheduler_that_speaks_http_leaves_one_line_on_stderr(tmp_path, servers):
    """In a process of its own, so that a Client left to the garbage collector would show
    (its __del__ used to print a TimeoutError traceback 20 s later): one line, exit 2."""
    spec = write_spec(tmp_path, 'kind = "spinglass"\n[grid]\np = 3\nN = 6\nstarts = 2\n')
    code = ("import sys; from rmtland.experiments import sweep; sweep.CONNECT_TIMEOUT = 1.0; "
            "from rmtland import cli; sys.exit(cli.main(sys.argv[1:]))")
    run = subprocess.run([sys.executable, "-c", code, "sweep", spec, "--out",
                          str(tmp_path / "out"), "--scheduler", servers["http"]],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("rmtland: error: --scheduler")


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
        # 64 inputs (8x8 digits) -> width -> 10 classes, with biases (TrainedConfig)
        assert r["parameters"] == 65 * r["width"] + (r["width"] + 1) * 10
        assert r["networks"] == 16
        assert 0 < r["train_mean"] and 0 < r["test_mean"] and r["train_std"] >= 0
    for r in res["sweep_network"]["rows"]:
        # one hidden layer, no biases: hidden (inputs + outputs) parameters; phi = n/(k m)
        assert r["parameters"] == r["hidden"] * (r["inputs"] + r["outputs"])
        assert r["phi"] == pytest.approx(r["parameters"] / (r["outputs"] * r["samples"]))


# -- the tables: every writer round-trips every cell -------------------------------------------
def cells(*, x, seed, device):
    """One field per kind of column a table meets (issue 17): ints (negative too), ints past
    2**63 (uint64) and past 2**64 (JSON text), floats with an int among them, booleans, a
    column None in some rows, one None in all, text with CSV's special characters, lists,
    a column of mixed kinds."""
    if x == 4:
        raise ArithmeticError("x = 4: a failed point, its fields absent")
    return {"int": x - 3, "big": 2**63 + x, "huge": 2**64 + x,
            "real": 2 if x == 1 else x / 3, "flag": x % 2 == 0,
            "maybe": None if x % 2 else x * 0.25, "nothing": None,
            "text": f'a,"b"\nc é {x}', "vec": [x, x / 2, None], "mixed": x if x % 2 else "s"}


@pytest.fixture
def cells_kind(monkeypatch):
    monkeypatch.setitem(sweep.KINDS, "cells", Kind("cells", cells, {"x": _check_x}))
    return {"kind": "cells", "seed": 5, "seeds": 2, "grid": {"x": [0, 1, 2, 3, 4]}}


def csv_text(value):
    """The CSV writer's documented text of one cell."""
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def test_every_table_round_trips_every_cell(tmp_path, cells_kind):
    """CSV, JSONL and Parquet read back to the rows, cell by cell; the point seeds (about
    half >= 2**63) are uint64 in Parquet and exact in all three."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    s = run_sweep(cells_kind, tmp_path, workers=0, progress=False)
    rows = s["rows"]
    assert s["table_errors"] == {} and sorted(s["tables"]) == ["csv", "jsonl", "parquet"]
    assert s["failed"] == 2 and any(r["seed"] >= 2**63 for r in rows)
    cols = sweep.columns(rows, "cells")
    assert {"big", "huge", "vec", "nothing", "error"} <= set(cols)

    # JSONL: every cell, exactly (types included)
    back = sweep.read_table(tmp_path / "table.jsonl")
    assert back == [{c: r.get(c) for c in cols} for r in rows]
    # Parquet: the schema, then every cell; ints stay ints (seeds exact), an int in a float
    # column reads as the equal float
    table = pq.read_table(tmp_path / "table.parquet")
    types = {f.name: f.type for f in table.schema}
    assert types["seed"] == pa.uint64() and types["big"] == pa.uint64()
    assert types["int"] == types["replicate"] == pa.int64()
    assert types["real"] == types["maybe"] == types["seconds"] == pa.float64()
    assert types["flag"] == pa.bool_() and types["text"] == types["error"] == pa.string()
    json_cols = {f.name for f in table.schema if f.metadata == sweep.JSON_COLUMN}
    assert json_cols == {"huge", "vec", "mixed"}
    back = sweep.read_table(tmp_path / "table.parquet")
    assert [list(r) for r in back] == [cols] * len(rows)
    for got, r in zip(back, rows):
        for c in cols:
            want = r.get(c)
            assert got[c] == want, (c, got[c], want)
            if want is not None and not (c in ("real", "maybe") and isinstance(want, int)):
                assert type(got[c]) is type(want), (c, got[c], want)
    # CSV: the header, then each cell's text, which parses back to the value
    back = sweep.read_table(tmp_path / "table.csv")
    assert [list(r) for r in back] == [cols] * len(rows)
    for got, r in zip(back, rows):
        for c in cols:
            want = r.get(c)
            assert got[c] == csv_text(want), (c, got[c], want)
            if isinstance(want, bool):
                assert got[c] in ("True", "False")
            elif isinstance(want, int):
                assert int(got[c]) == want
            elif isinstance(want, float):
                assert float(got[c]) == want


@pytest.mark.parametrize("broken", ["csv", "jsonl", "parquet"])
def test_a_failing_writer_loses_neither_the_other_tables_nor_result_json(
        capsys, tmp_path, monkeypatch, broken):
    """One writer raises: the others are written, result.json records the failure, the
    command exits 1 with one line naming the format."""
    def fail(rows, cols):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(sweep.writers, f"_{broken}_bytes", fail)
    spec = write_spec(tmp_path, 'kind = "spinglass"\n[grid]\np = 3\nN = [6, 7]\nstarts = 2\n')
    out = tmp_path / "out"
    code = cli.main(["sweep", spec, "--out", str(out), "--workers", "0", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert f"{broken} (OSError: [Errno 28] No space left on device)" in err
    saved = json.loads((out / "result.json").read_text())
    assert saved["table_errors"] == {broken: "OSError: [Errno 28] No space left on device"}
    others = [f for f in sweep.FORMATS if f != broken]
    assert sorted(saved["tables"]) == sorted(others)
    assert saved["table"] == str(out / f"table.{others[0]}")
    assert not (out / f"table.{broken}").exists()
    for fmt in others:
        assert len(sweep.read_table(out / f"table.{fmt}")) == saved["total"] == 2


# -- sizes and counts, refused before any work --------------------------------------------------
def test_a_grid_larger_than_max_points_is_refused_before_it_is_expanded(capsys, tmp_path,
                                                                         monkeypatch):
    """10**7 points (1000 x 1000 values x 10 seeds): refused from the axis lengths, before
    the product is taken (which would raise here), naming grid and the limit."""
    def expanded(axes):
        raise AssertionError("the grid was expanded before its size was checked")
    monkeypatch.setattr(sweep.spec, "_product", expanded)
    spec = write_spec(tmp_path, 'kind = "hessian"\nseeds = 10\n[grid]\n'
                                'phi = { linspace = [0.1, 1.0, 1000] }\n'
                                'eps = { linspace = [0.0, 0.5, 1000] }\nn = 10\nsamples = 1\n')
    code = cli.main(["sweep", spec, "--out", str(tmp_path / "out"), "--workers", "0"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "grid: 1000 x 1000 x 1 x 1 values x 10 seeds = 10000000 points" in err
    assert f"at most {sweep.MAX_POINTS} points" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("grid, seeds, message", [
    ({"x": list(range(11))}, 1, "grid.x has 11 values"),
    ({"x": {"range": [0, 10**12, 1]}}, 1, "grid.x has 1000000000000 values"),
    ({"x": {"linspace": [0, 1, 10**12]}}, 1, "grid.x has 1000000000000 values"),
    ({"x": {"range": [0.0, 1e12, 1.0]}}, 1, "grid.x has 1000000000000 values"),
    ({"zip": [{"x": {"logspace": [1, 2, 10**12]}}]}, 1, "grid.x has 1000000000000 values"),
    ({"x": [1, 2, 3]}, 10**12, "seeds = 1000000000000 replicates"),
    ({"x": [1, 2, 3, 4]}, 3, "grid: 4 values x 3 seeds = 12 points"),
])
def test_each_count_is_checked_before_its_values_are_made(square_kind, monkeypatch, grid,
                                                          seeds, message):
    """With MAX_POINTS = 10: an axis, a range form (10**12 values: refused at once, never
    listed), the replicates, and the product."""
    monkeypatch.setattr(sweep.spec, "MAX_POINTS", 10)
    with pytest.raises(sweep.InputError, match="at most 10 points") as info:
        parse_spec({**square_kind, "seeds": seeds, "grid": grid})
    assert message in str(info.value)
    # the limit itself is allowed
    assert len(parse_spec({**square_kind, "seeds": 2, "grid": {"x": [0, 1, 3, 5, 6]}}).points) \
        == 10


def test_the_kind_check_sees_every_point_before_any_point_runs(tmp_path, monkeypatch):
    """A kind's ``check`` (where each kind's size estimate lives) runs on every grid point
    at parse time: the run finds all of them checked, and a refusal of the last point
    means that no point runs."""
    checked, ran = [], []

    def check(*, x):
        checked.append(x)
        if x == 9:
            raise sweep.InputError("x = 9 would need 1 TiB")

    def run(*, x, seed, device):
        ran.append(list(checked))
        return {"y": x}
    monkeypatch.setitem(sweep.KINDS, "sized", Kind("sized", run, {"x": _check_x}, check=check))
    s = run_sweep({"kind": "sized", "seeds": 2, "grid": {"x": [1, 2, 3]}}, tmp_path / "a",
                  workers=0, progress=False)
    assert s["done"] == 6 and ran == [[1, 2, 3]] * 6
    checked.clear()
    ran.clear()
    with pytest.raises(sweep.InputError, match="x = 9 would need 1 TiB"):
        run_sweep({"kind": "sized", "grid": {"x": [1, 2, 9]}}, tmp_path / "b", workers=0,
                  progress=False)
    assert checked == [1, 2, 9] and ran == [] and not (tmp_path / "b").exists()


def test_workers_beyond_the_bound_are_refused_before_anything_starts(capsys, tmp_path,
                                                                      monkeypatch):
    top = sweep.WORKERS_PER_CPU * (os.cpu_count() or 1)

    def started(*a, **k):
        raise AssertionError("a cluster was started")
    monkeypatch.setattr(sweep.runners, "local_cluster", started)
    spec = write_spec(tmp_path, 'kind = "spinglass"\n[grid]\np = 3\nN = 6\nstarts = 2\n')
    code = cli.main(["sweep", spec, "--out", str(tmp_path / "out"), "--workers", "1000"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"--workers must be an integer in [0, {top}]" in err and "got 1000" in err
    assert not (tmp_path / "out").exists()
    with pytest.raises(sweep.InputError, match=rf"^workers must be an integer in \[0, {top}\]"):
        run_sweep(TINY, tmp_path / "api", workers=top + 1, progress=False)
    assert sweep.check_workers(top, "cpu") == top
    # with dask-cuda and GPUs: one worker per GPU at most
    monkeypatch.setitem(sys.modules, "dask_cuda", object())
    monkeypatch.setattr(sweep.runners, "_gpu_count", lambda: 2)
    assert sweep.check_workers(2, "gpu") == 2 and sweep.check_workers(3, "cpu") == 3
    with pytest.raises(sweep.InputError, match=r"in \[0, 2\] \(one per GPU, 2 GPU"):
        sweep.check_workers(3, "auto")


# -- Ctrl-C on Dask workers -------------------------------------------------------------------
def test_ctrl_c_on_workers_exits_130_with_one_line_and_keeps_the_finished_points(tmp_path):
    """SIGINT to the whole process group (what Ctrl-C in a terminal does) of `rmtland sweep`
    on 2 local workers, as the first point file appears: exit 130, one line on stderr (the
    workers neither see the signal nor log as the cluster closes), no process of the run
    left, and the point files that were written are whole rows that a rerun skips."""
    import psutil
    spec = write_spec(tmp_path, 'kind = "hessian"\nseeds = 4\n[grid]\nphi = [0.5, 1.0, 2.0]\n'
                                'eps = 0.1\nn = 300\nsamples = 20\n')        # ~0.3 s a point
    out = tmp_path / "out"
    # SIGINT's default disposition in the child, as in a terminal: a test run started in the
    # background of a non-interactive shell (`cmd &`, nohup) inherits SIGINT ignored, and
    # Python then installs no KeyboardInterrupt handler at all (the run would finish, exit 0)
    proc = subprocess.Popen([sys.executable, "-m", "rmtland", "sweep", spec, "--out",
                             str(out), "--workers", "2", "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        while proc.poll() is None and not list((out / "points").glob("*.json")):
            time.sleep(0.02)
        assert proc.poll() is None, proc.communicate()
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("rmtland: interrupted: sweep"), stderr
    assert stdout == ""
    # every process of the run has ended (zombies left to an init that does not reap aside)
    left, _ = psutil.wait_procs([p for p in psutil.process_iter()
                                 if _in_group(p, proc.pid) and _running(p)], timeout=10)
    assert [p for p in left if _running(p)] == []
    kept = {f.stem: json.loads(f.read_text()) for f in (out / "points").glob("*.json")
            if not f.name.startswith(".")}              # (no temporary file is left either)
    assert sorted(os.listdir(out / "points")) == sorted(k + ".json" for k in kept)
    total = len(parse_spec(load_spec(spec)).points)
    assert 1 <= len(kept) < total == 12
    assert all(r["status"] == "done" and 0 <= r["empirical_index"] <= 1 for r in kept.values())
    assert not (out / "result.json").exists()
    # the rerun skips them (its remaining points stubbed: only the bookkeeping is tested)
    stub = Kind("hessian", lambda **kw: {"stub": True}, sweep.KINDS["hessian"].params,
                sweep.KINDS["hessian"].defaults)
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sweep.KINDS, "hessian", stub)
        again = run_sweep(spec, out, workers=0, progress=False)
    assert (again["skipped"], again["computed"]) == (len(kept), total - len(kept))
    assert [r for r in again["rows"] if r["point"] in kept] == \
        [kept[p.key] for p in parse_spec(load_spec(spec)).points if p.key in kept]


def _running(process):
    import psutil
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _in_group(process, pgid):
    try:
        return os.getpgid(process.pid) == pgid
    except (ProcessLookupError, PermissionError):
        return False


def test_network_kind_takes_null_draws():
    """The network kind passes null_draws to simulate_network (default the API's), and its
    validator refuses 0 at parse time, naming it."""
    from rmtland.compare.networks import NULL_DRAWS
    base = {"kind": "network", "grid": {"hidden": 3, "inputs": 2, "outputs": 2, "samples": 8}}
    assert parse_spec(base).points[0].params["null_draws"] == NULL_DRAWS
    spec = dict(base, grid=dict(base["grid"], null_draws=[5, 7]))
    assert [p.params["null_draws"] for p in parse_spec(spec).points] == [5, 7]
    with pytest.raises(sweep.InputError, match="null_draws"):
        parse_spec(dict(base, grid=dict(base["grid"], null_draws=0)))
