"""Sizes and counts are checked before any work (issue 17, section 2): one memory/work estimate
per study (``check_hessian``, ``check_spinglass``, ``check_network``, ``check_trained``), used
alike by the command line, the ``simulate_*`` function and the sweep kind's parse-time check.

"Before any work" is shown without timing anything: the first computing step of each study is
replaced by a sentinel that fails the test if reached, and the memory traced while the
command runs (``tracemalloc``, which sees NumPy's allocations) stays far below the sizes asked
for.  The memory budget is pinned (``memory_budget`` patched to 8 GiB) so the refusals do not
depend on the machine running the tests.
"""
import tracemalloc

import pytest

import rmtland.experiments  # noqa: F401  (registers every sweep kind)
from rmtland import _validate
from rmtland._validate import Budget, InputError, within_budget
from rmtland.cli import main
from rmtland.experiments import hessian as exp_hessian
from rmtland.experiments import networks as exp_networks
from rmtland.experiments import spinglass as exp_spinglass
from rmtland.experiments import sweep
from rmtland.experiments import trained as exp_trained
from rmtland.sampling import spinglass as pspin

BUDGET = 8 * 2**30
#: far below every refused size, far above what parsing and checking allocate
TRACED_MAX = 64 * 2**20


@pytest.fixture
def no_work(monkeypatch):
    """Pin the memory budget and make every study's first computing step fail the test."""
    def budget(xp, max_bytes=None):
        return BUDGET, BUDGET
    monkeypatch.setattr("rmtland.linalg.dense.memory_budget", budget)
    monkeypatch.setattr(exp_networks, "memory_budget", budget)

    def started(*a, **k):
        raise AssertionError("computing started before the size check refused")
    for mod, names in ((exp_networks, ("make_task", "descent_starts",
                                       "find_network_critical_points")),
                       (exp_trained, ("loss_study", "hessian_study", "_require_digits")),
                       (exp_hessian, ("hessian_spectra", "hessian_estimates")),
                       (pspin, ("sample_couplings",))):
        for name in names:
            monkeypatch.setattr(mod, name, started)


NET = ["simulate", "network", "--hidden", "4", "--inputs", "4", "--outputs", "2",
       "--samples", "20"]
TRAINED = ["simulate", "trained", "--widths", "10", "--networks", "2"]
HESS = ["simulate", "hessian", "--phi", "0.5", "--eps", "0.1", "--samples", "1"]
BIG = "100000000"

#: (argv, the parameter the one line must name): every case of issue 17, section 2
CASES = [
    (NET[:6] + ["--inputs", BIG, "--outputs", "2", "--samples", "20"], "inputs"),
    (NET[:2] + ["--hidden", "100000", "--inputs", "1000", "--outputs", "2", "--samples", "20"],
     "hidden"),
    (NET[:-1] + [BIG], "samples"),
    (NET + ["--starts", BIG], "starts"),
    (NET + ["--steps", "100000000000"], "steps"),
    (TRAINED[:2] + ["--widths", BIG, "--networks", "2"], "widths"),
    (TRAINED[:4] + ["--networks", "1e8"], "networks"),          # the spelling
    (TRAINED + ["--hessian-width", "100000"], "hessian_width"),
    (TRAINED + ["--epochs", BIG], "epochs"),
    (HESS + ["--n", "10000000", "--method", "slq"], "n"),
    (HESS + ["--n", "100", "--method", "slq", "--probes", BIG], "probes"),
    (HESS + ["--n", "100", "--method", "slq", "--steps", BIG], "steps"),
    (HESS + ["--n", "100", "--method", "kpm", "--degree", BIG], "degree"),
    (["simulate", "spinglass", "--p", "3", "--N", "50", "--starts", "1e8"], "starts"),
]


@pytest.mark.parametrize("argv, name", CASES, ids=[f"{a[1]}-{n}" for a, n in CASES])
def test_cli_refuses_before_any_work(no_work, capsys, tmp_path, argv, name):
    out = tmp_path / "out"
    tracemalloc.start()
    try:
        code = main(argv + ["--out", str(out), "--no-progress"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("rmtland: error: ")
    assert err.split("rmtland: error: ")[1].startswith(f"{name} must be an integer in [")
    assert not out.exists() or not any(out.iterdir())
    assert peak < TRACED_MAX


@pytest.mark.parametrize("text", ["1.5", "inf", "nan", "1e400", "-1e3"])
def test_integer_options_read_whole_floats_only(capsys, tmp_path, text):
    """``1e8`` is read as 100000000 (then judged by the size check above); a spelling that is
    not a whole number stays an argument error naming the option."""
    with pytest.raises(SystemExit) as exc:
        main(NET[:-1] + [text, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "samples must be an integer >= 1" in err
    assert not (tmp_path / "o").exists()


def test_the_named_range_is_exact(no_work):
    """The upper end of the range named in the message is the largest value that fits: the
    estimate there is within the budget and one more is not (the check's own arithmetic)."""
    with pytest.raises(InputError) as exc:
        exp_networks.check_network(4, 10**8, 2, 20)
    hi = int(str(exc.value).split("[1, ")[1].split("]")[0])
    nbytes = lambda inputs: exp_networks._network_bytes(4, inputs, 2, 20, 1, 16, 5, False)
    assert nbytes(hi) <= BUDGET < nbytes(hi + 1)
    assert exp_networks.check_network(4, hi, 2, 20)["bytes"] == nbytes(hi)
    with pytest.raises(InputError, match=r"must be an integer in \[1, "):
        exp_networks.check_network(4, hi + 1, 2, 20)


def test_within_budget_bisection():
    """Against closed forms: bytes = 8 a b with limit 800 gives a <= 100 // b; bytes =
    8 a b^2 with a = 1 gives b <= 10, and a cannot fix it alone (a >= 1), so b is named."""
    est = lambda a, b: 8 * a * b
    assert within_budget({"a": 10, "b": 10}, Budget(est, 800, what="x")) == [800]
    with pytest.raises(InputError, match=r"^a must be an integer in \[1, 20\] .*\(a = 1000\)"):
        within_budget({"a": 1000, "b": 5}, Budget(est, 800, what="x"))
    with pytest.raises(InputError, match=r"^b must be an integer in \[1, 10\] .*\(b = 20\)"):
        within_budget({"a": 1, "b": 20}, Budget(lambda a, b: 8 * a * b * b, 800, what="x"))
    with pytest.raises(InputError, match="no one of them alone"):
        within_budget({"a": 200, "b": 200}, Budget(est, 800, what="x"),
                      minimum={"a": 150, "b": 150})
    # both can fit alone: a <= 100 // 10 = 10 (40/10 = 4x over), b <= 100 // 40 = 2 (5x over):
    # the size furthest over its own largest value is named
    with pytest.raises(InputError, match=r"^b must be an integer in \[1, 2\] .*\(b = 10\)"):
        within_budget({"a": 40, "b": 10}, Budget(est, 800, what="x"))


def test_within_budget_judges_every_budget_at_once():
    """Memory 8 a b <= 8000 and work a b^3 <= 10^6 at a = 20, b = 300: memory alone would
    allow a <= 3 (ratio 6.7) and b <= 50 (ratio 6); work alone a <= 0 and b <= 36.  Every
    budget at once: a cannot fit (a b^3 > 10^6 at a = 1), b <= 36 (ratio 8.3): b is named,
    with the range that satisfies both, and both costs are stated."""
    mem = Budget(lambda a, b: 8 * a * b, 8000, what="memory")
    work = Budget(lambda a, b: a * b ** 3, 1e6, what="work", unit="operations")
    with pytest.raises(InputError, match=r"^b must be an integer in \[1, 36\] .*\(b = 300\): "
                                         r"memory: .*; work: "):
        within_budget({"a": 20, "b": 300}, mem, work)
    assert within_budget({"a": 20, "b": 36}, mem, work) == [8 * 20 * 36, 20 * 36 ** 3]


def test_work_bound_is_stated():
    with pytest.raises(InputError, match=r"operations allowed \(rmtland._validate.WORK_MAX"):
        within_budget({"s": 10**7}, Budget(lambda s: s * 1e9, _validate.WORK_MAX, what="x",
                                           unit="operations"))


@pytest.mark.parametrize("func, args, kwargs, name", [
    (exp_networks.simulate_network, (4, 4, 2, 20), {"starts": 10**8}, "starts"),
    (exp_networks.simulate_network, (4, 4, 2, 10**8), {}, "samples"),
    (exp_trained.simulate_trained, (), {"widths": [10], "networks": 10**8}, "networks"),
    (exp_hessian.simulate_hessian, (0.5, 0.1, 10**7, 1), {"method": "slq"}, "n"),
    (exp_spinglass.simulate_spinglass, (3, 50, 10**8), {}, "starts"),
])
def test_api_refuses_first(no_work, tmp_path, func, args, kwargs, name):
    with pytest.raises(InputError, match=rf"^{name} must be an integer in \["):
        func(*args, **kwargs, out=tmp_path / "o", progress=False)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("kind, grid, name", [
    ("network", {"hidden": 4, "inputs": 4, "outputs": 2, "samples": [20, 10**8]}, "samples"),
    ("network", {"hidden": 4, "inputs": 4, "outputs": 2, "samples": 20,
                 "starts": [4, 10**8]}, "starts"),
    ("network", {"hidden": 3, "inputs": 16, "outputs": 2, "samples": 40, "data": "digits",
                 "starts": 2}, None),
    ("trained", {"width": 10, "networks": [4, 10**8]}, "networks"),
    ("trained", {"width": 10, "networks": 4, "epochs": 10**9}, "epochs"),
    ("hessian", {"phi": 0.5, "eps": 0.1, "n": 10**7, "samples": 1}, "n"),
    ("spinglass", {"p": 3, "N": 50, "starts": 10**8}, "starts"),
])
def test_sweep_points_are_checked_at_parse_time(no_work, kind, grid, name):
    spec = {"kind": kind, "grid": grid}
    if name is None:
        assert len(sweep.parse_spec(spec).points) == 1
        return
    with pytest.raises(InputError, match=rf"grid point .*: {name} must be an integer in \["):
        sweep.parse_spec(spec)


@pytest.mark.parametrize("kind, check, params", [
    ("network", (exp_networks, "check_network"),
     {"hidden": 4, "inputs": 4, "outputs": 2, "samples": 20}),
    ("hessian", (exp_hessian, "check_hessian"), {"phi": 0.5, "eps": 0.1, "n": 50,
                                                   "samples": 2}),
    ("spinglass", (exp_spinglass, "check_spinglass"), {"p": 3, "N": 8, "starts": 2}),
    ("trained", (exp_trained, "check_trained"), {"width": 4, "networks": 2}),
])
def test_one_check_three_callers(monkeypatch, tmp_path, kind, check, params):
    """The sweep kind, the API and the CLI all go through the study's one check function:
    replaced by a sentinel, each of the three callers raises it."""
    class Sentinel(InputError):
        pass

    def refuse(*a, **k):
        raise Sentinel(f"{check[1]} called")
    monkeypatch.setattr(*check, refuse)
    with pytest.raises(InputError, match=f"{check[1]} called"):
        sweep.parse_spec({"kind": kind, "grid": params})
    api = {"network": lambda: exp_networks.simulate_network(4, 4, 2, 20, progress=False),
           "hessian": lambda: exp_hessian.simulate_hessian(0.5, 0.1, 50, 2, progress=False),
           "spinglass": lambda: exp_spinglass.simulate_spinglass(3, 8, 2, progress=False),
           "trained": lambda: exp_trained.simulate_trained(widths=[4], networks=2,
                                                           progress=False)}[kind]
    with pytest.raises(Sentinel):
        api()
    argv = {"network": NET, "hessian": HESS + ["--n", "50"],
            "spinglass": ["simulate", "spinglass", "--p", "3", "--N", "8", "--starts", "2"],
            "trained": ["simulate", "trained", "--widths", "4", "--networks", "2"]}[kind]
    assert main(argv + ["--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert not (tmp_path / "o").exists()


def test_default_and_documented_sizes_pass():
    """The README's commands and the figures' full sizes are within every bound (on the
    host budget of this machine, at least 2 GiB: these need well under that)."""
    small = 2 * 2**30
    assert exp_networks.check_network(6, 4, 2, 24, starts=8)["bytes"] < small
    assert exp_networks.check_network(8, 16, 3, 90, data="digits", whiten="pca")[
        "downsample"] == 2
    full = exp_networks.NET_SIZES["full"]
    assert exp_networks.check_network(full["widths"][1], full["widths"][0],
                                      full["widths"][2], max(full["ms"]),
                                      starts=full["inits"], steps=full["steps"],
                                      maxiter=full["maxiter"])["bytes"] < small
    assert exp_hessian.check_hessian(0.5, 0.1, 20000, 1, method="slq", probes=16, steps=60,
                                     dtype="float32")["bytes"] < small
    assert exp_hessian.check_hessian(0.5, 0.1, 4000, 50)["method"] == "slq"
    assert exp_spinglass.check_spinglass(3, 50, 100)["bytes"] < small
    assert exp_trained.check_trained(widths=[10, 20, 40, 80], networks=100)["bytes"] < small
    cfg = exp_trained.TRAINED_SIZES["full"]
    assert exp_trained.check_trained(widths=cfg["widths"], networks=cfg["networks"],
                                     epochs=cfg["epochs"],
                                     hessian_width=cfg["hessian"]["width"],
                                     hessian_networks=cfg["hessian"]["networks"])[
        "operations"] <= _validate.WORK_MAX


def test_host_memory_reading_is_reused_within_its_window(monkeypatch):
    """``host_available_bytes`` reads the host once per ``HOST_MEMORY_SECONDS`` (fake clock):
    the same value inside the window, a new reading after it."""
    from types import SimpleNamespace
    from rmtland.linalg import dense
    clock, reads = [100.0], []

    def read():
        reads.append(clock[0])
        return 1000 * len(reads)
    monkeypatch.setattr(dense, "_HOST_READING", [])
    monkeypatch.setattr(dense, "_read_host_available", read)
    monkeypatch.setattr(dense, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    assert dense.host_available_bytes() == 1000
    clock[0] += 0.999 * dense.HOST_MEMORY_SECONDS
    assert dense.host_available_bytes() == 1000 and len(reads) == 1
    clock[0] += 0.002 * dense.HOST_MEMORY_SECONDS
    assert dense.host_available_bytes() == 2000 and reads == [100.0, clock[0]]


def test_host_memory_reading_is_the_kernels():
    """On Linux the reading is MemAvailable of /proc/meminfo (read here independently)."""
    from rmtland.linalg import dense
    try:
        with open("/proc/meminfo") as fh:
            kib = next(int(line.split()[1]) for line in fh if line.startswith("MemAvailable:"))
    except (OSError, StopIteration):
        pytest.skip("no /proc/meminfo with MemAvailable")
    got = dense._read_host_available()
    assert abs(got - kib * 1024) <= 0.1 * kib * 1024      # the host's use moves meanwhile


#: (argv, the parameter the one line must name): ``rmtland bench`` refuses every size before
#: its first row, judged over all the rows it would run
BENCH_CASES = [
    (["network", "--directions", BIG], "directions"),
    (["network", "--samples", BIG], "samples"),
    (["network", "--hidden", "16", BIG, "--batch", "1"], "hidden"),
    (["network", "--loop-batches", "8", BIG], "loop_batches"),
    (["network", "--loop-hidden", "10", BIG, "--loop-batches", "1"], "loop_hidden"),
    (["spectra", "--sizes", "64", "1000000"], "batch=1 matrices of size n=1000000"),
    (["sampling", "--sizes", "64", "1000000"], "batch=1 matrices of size n=1000000"),
]


@pytest.mark.parametrize("argv, name", BENCH_CASES, ids=[f"{a[0]}-{n}" for a, n in BENCH_CASES])
def test_bench_refuses_before_any_row(monkeypatch, capsys, argv, name):
    from rmtland import bench
    from rmtland.sampling import hessian as sampling_hessian

    def started(*a, **k):
        raise AssertionError("a benchmark row started before the size check refused")
    for mod, attr in ((bench, "_gemm_rate"), (bench, "time_interleaved"), (bench, "time_call"),
                      (bench, "sample_goe"), (sampling_hessian, "sample_hessian")):
        monkeypatch.setattr(mod, attr, started)
    tracemalloc.start()
    try:
        code = main(["bench"] + argv + ["--no-torch"] * (argv[0] == "network"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("rmtland: error: "), err
    message = err.split("rmtland: error: ")[1]
    assert message.startswith(f"{name} must be an integer in [" if "=" not in name else name)
    assert peak < TRACED_MAX
