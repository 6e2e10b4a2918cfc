"""The top-level GPU entry points (``simulate``, ``reproduce``, ``bench``) run under the CuPy test
double with zero host leaks (the ``cupy_double`` fixture fails a test that leaks), and report
the GPU as their device.

The double is NumPy underneath, so the numbers are checked against the theory with the same
statistical bounds as on the CPU; the GPU stream differs from the CPU one (counter-based Philox
against PCG64 blocks, see ``rmtland.sampling.ensembles``), so the values are not equal to the
CPU run's, only equally close to the theory.
"""
import json
import math

import matplotlib

matplotlib.use("Agg")
import pytest  # noqa: E402

from rmtland import experiments  # noqa: E402
from rmtland.bench import bench_sampling, bench_spectra  # noqa: E402
from rmtland.cli import main  # noqa: E402


def test_simulate_hessian_on_gpu(cupy_double, tmp_path):
    res = experiments.simulate_hessian(0.5, 0.1, 120, 8, seed=1, device="gpu",
                                       out=str(tmp_path), progress=False)
    assert res["device"] == "gpu"
    # index within 4 standard errors plus the O(1/n) allowance of one eigenvalue per matrix
    # (tests/test_experiments_hessian.py measures the bias: ~0.1 eigenvalue per matrix)
    assert abs(res["empirical_index"] - res["theory_index"]) <= 4 * res["index_stderr"] + 1 / 120
    # pooled KS: the 1% point of the i.i.d. statistic, 1.63/sqrt(N), plus 1/n for the edges
    assert res["ks_distance"] <= 1.63 / math.sqrt(120 * 8) + 1 / 120
    assert json.loads((tmp_path / "result.json").read_text())["device"] == "gpu"


def test_simulate_spinglass_on_gpu(cupy_double, tmp_path):
    res = experiments.simulate_spinglass(3, 12, 16, seed=2, device="gpu", out=str(tmp_path),
                                         progress=False)
    assert res["device"] == "gpu"
    assert res["critical_points"] >= 1 and res["max_gradient_norm"] <= 1e-10
    assert sum(res["index_histogram"]) == res["critical_points"]


def test_cli_simulate_on_gpu(cupy_double, tmp_path, capsys):
    rc = main(["simulate", "hessian", "--phi", "0.5", "--eps", "0.1", "--n", "60",
               "--samples", "3", "--device", "gpu", "--out", str(tmp_path), "--json",
               "--no-progress"])
    assert rc == 0
    assert json.loads(capsys.readouterr().out)["device"] == "gpu"


@pytest.mark.slow
def test_reproduce_on_gpu(cupy_double, tmp_path):
    """Every figure and data file at the smoke level, simulated on the (double) GPU, in one
    reproduce (the default suite runs the figures one by one below)."""
    summary = experiments.reproduce(tmp_path, smoke=True, device="gpu")
    sim = json.loads((tmp_path / "simulation_hessian.json").read_text())
    assert sim["device"] == "gpu"
    assert len(summary["files"]) == len(experiments.FIGURES) + 2


#: the simulated figures, one GPU run each in the default suite; the spin-glass count study
#: (3 s on the double) runs in the slow reproduce above: its finder is the one of
#: spinglass_minima and spinglass_threshold, run here
_GPU_FIGURES = [name for name, f in experiments.FIGURES.items()
                if f.kind != "theory" and name != "spinglass_count"]


@pytest.mark.parametrize("name", _GPU_FIGURES)
def test_figure_on_gpu(cupy_double, tmp_path, name):
    """Each simulated figure at the smoke level on the (double) GPU: it runs without a host
    leak, says so in its result.json and writes its figure."""
    from rmtland.experiments._run import FIGURES, _kwargs, run_figure
    run_figure(name, tmp_path, smoke=True, **_kwargs(FIGURES[name].kind, True, "gpu", 0))
    text = (tmp_path / "result.json").read_text()
    assert '"device": "gpu"' in text and '"device": "cpu"' not in text
    assert (tmp_path / f"{name}.png").is_file()


@pytest.mark.parametrize("method", ["rmtland-eigvalsh", "rmtland-inertia", "cupy-eigvalsh",
                                    "cupy-syevd-loop", "host-ldl-inertia"])
def test_bench_spectra_on_gpu(cupy_double, method):
    rows = bench_spectra("gpu", sizes=[16], repeats=1, batch=2, methods=[method])
    assert [r["method"] for r in rows] == [method]
    # host-ldl-inertia copies the stack to the host and factorises there: its row says "cpu"
    assert rows[0]["device"] == ("cpu" if method == "host-ldl-inertia" else "gpu")
    assert rows[0]["seconds_per_matrix"] > 0


def test_bench_sampling_on_gpu(cupy_double):
    rows = bench_sampling("gpu", sizes=[8], repeats=1, batch=2)
    assert [(r["method"], r["device"]) for r in rows] == [("rmtland-sample_hessian", "gpu")]


def test_simulate_hessian_matrix_free_on_gpu(cupy_double, tmp_path):
    """--method slq on the (double) GPU: operator, probes and recurrences on the device, no
    host leak; the index within 4 s.e. + the SLQ bias bound + 1/n of the theory."""
    res = experiments.simulate_hessian(0.5, 0.1, 300, 2, seed=1, device="gpu", method="slq",
                                       probes=8, steps=30, out=str(tmp_path), progress=False)
    assert res["device"] == "gpu" and res["method"] == "slq" and res["matvecs"] == 2 * 8 * 30
    assert abs(res["empirical_index"] - res["theory_index"]) <= (
        4 * res["index_stderr"] + res["index_bias_bound"] + 1 / 300)


def test_simulate_trained_on_gpu(cupy_double):
    """Batched SGD and the dense Hessians of the trained networks on the (double) GPU."""
    from rmtland.experiments.trained import simulate_trained
    res = simulate_trained(widths=[3, 5], networks=4, activations=["relu"], classes=(2, 3),
                           hessian_width=3, hessian_networks=1, epochs=2, seed=1, device="gpu",
                           progress=False)
    assert res["device"] == "gpu"
    # a 10-class softmax network starts near log 10; two epochs of SGD lower the mean loss
    assert all(0 < r["train_mean"] < math.log(10) for r in res["widths"])
    assert [h["classes"] for h in res["hessian"]] == [2, 3]
