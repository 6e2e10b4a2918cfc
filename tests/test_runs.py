"""What a run leaves behind (DESIGN.md, Contracts; issue "every run fails early and cleanly").

- The numbers are saved before any figure is drawn; a figure that fails is reported (exit 1,
  one line) and ``result.json`` stays, naming the failure.
- A run's files land in ``--out`` as a unit (``rmtland._io.RunDirectory``): an interrupted
  rerun leaves the previous run's files untouched, a finished rerun leaves no stale file of
  the previous run (e.g. a PDF it no longer writes), and nothing temporary remains.
- Degenerate data plots: the even-p spin glass, whose two minima ±σ have equal energies to
  rounding, runs for many seeds in a row.
"""
import json
import os

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rmtland import _io, experiments  # noqa: E402
from rmtland.cli import main  # noqa: E402
from rmtland.plotting import spinglass as psg  # noqa: E402

HESSIAN = ["simulate", "hessian", "--phi", "0.5", "--eps", "0.1", "--n", "30", "--samples",
           "2", "--no-progress"]


def _listing(directory):
    """The run's files (the manifest that records them aside)."""
    return sorted(n for n in os.listdir(directory) if n != _io.MANIFEST)


def test_rerun_replaces_the_previous_run_as_a_unit(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*HESSIAN, "--seed", "1", "--pdf", "--out", str(out)]) == 0
    assert _listing(out) == ["result.json", "spectrum.pdf", "spectrum.png"]
    first = (out / "result.json").read_text()
    assert main([*HESSIAN, "--seed", "2", "--out", str(out)]) == 0
    # the PDF of the first run is gone: no mix of runs
    assert _listing(out) == ["result.json", "spectrum.png"]
    second = json.loads((out / "result.json").read_text())
    assert second["seed"] == 2 and second["files"] == ["spectrum.png", "result.json"]
    assert (out / "result.json").read_text() != first


def test_interrupted_rerun_leaves_the_previous_run(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    assert main([*HESSIAN, "--seed", "1", "--out", str(out)]) == 0
    before = {n: (out / n).read_bytes() for n in _listing(out)}
    import rmtland.plotting.hessian as ph

    def interrupted(*a, **k):      # Ctrl-C while the new figure is being drawn
        raise KeyboardInterrupt
    monkeypatch.setattr(ph, "plot_hessian_densities", interrupted)
    assert main([*HESSIAN, "--seed", "2", "--pdf", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "interrupted" in err and "unchanged" in err
    assert {n: (out / n).read_bytes() for n in _listing(out)} == before


def test_a_failing_figure_keeps_the_numbers(tmp_path, capsys, monkeypatch):
    import rmtland.plotting.hessian as ph
    monkeypatch.setattr(ph, "plot_hessian_densities",
                        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("no fonts")))
    out = tmp_path / "run"
    code = main([*HESSIAN, "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 1 and captured.err.count("\n") == 1 and "no fonts" in captured.err
    assert _listing(out) == ["result.json"]
    saved = json.loads((out / "result.json").read_text())
    assert saved["files"] == ["result.json"] and "no fonts" in saved["figure_errors"]["spectrum"]
    assert 0 <= saved["empirical_index"] <= 1


@pytest.mark.slow     # two reproduce runs; the manifest rule is also in the default suite
def test_reproduce_theory_only_rerun_removes_the_simulation_files(tmp_path, monkeypatch):
    """A theory-only rerun into the directory of a full run leaves no simulation file behind.
    Run on the four Hessian figures (the data writer needs three of them; one is theory-only)
    and one spin-glass simulation figure: the other figures add time, not cases (every
    figure's files go through the same write_run)."""
    from rmtland.experiments import _run
    keep = {k: v for k, v in _run.FIGURES.items()
            if k.startswith("hessian") or k == "spinglass_minima"}
    monkeypatch.setattr(_run, "FIGURES", keep)
    out = tmp_path / "r"
    experiments.reproduce(out, smoke=True)
    assert "simulation_hessian.json" in _listing(out)
    experiments.reproduce(out, smoke=True, simulate=False)
    names = _listing(out)
    assert "simulation_hessian.json" not in names and "spinglass_minima.png" not in names
    assert "theory_hessian.json" in names and not [n for n in names if n.startswith(".")]


def test_run_directory_leaves_nothing_on_failure(tmp_path):
    out = tmp_path / "d"
    with pytest.raises(ZeroDivisionError):
        with _io.RunDirectory(out) as run:
            (open(os.path.join(run.path, "result.json"), "w")).write("{}")
            1 / 0
    assert _listing(out) == []


@pytest.mark.parametrize("seed", range(1, 8))
def test_even_p_spin_glass_runs_for_every_seed(tmp_path, capsys, seed):
    """p = 2: the Hamiltonian is a quadratic form whose two minima ±σ (the lowest eigenvector)
    have equal energies, so the minima histogram has zero spread (it used to fail with
    "Too many bins for data range" for ~40% of seeds).  Exactly 2 minima exist (ABC13:
    E Crt_{N,k} = 2 for p = 2)."""
    out = tmp_path / "sg"
    assert main(["simulate", "spinglass", "--p", "2", "--N", "12", "--starts", "20", "--seed",
                 str(seed), "--out", str(out), "--no-progress", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["minima"] == 2 and _listing(out) == ["result.json", "spinglass.png"]


@pytest.mark.parametrize("energies", [[], [-1.2], [-1.2, -1.2], [-1.2, np.nextafter(-1.2, 0)]])
def test_minima_histogram_of_degenerate_data(energies):
    run = {"N": 10, "starts": 5, "points": {"minima_energy_per_site": energies,
                                            "energy_per_site": energies,
                                            "index": [0] * len(energies)}}
    theory = {"p": 2, "u": np.linspace(-2, 2, 5), "fraction": np.linspace(0, 1, 5),
              "E_0": 1.41, "E_inf": 1.41}
    fig, axes = psg.plot_spinglass_minima([run], theory)
    heights = [p for p in axes[0].patches]
    assert all(np.isfinite(h.get_path().vertices).all() for h in heights)


@pytest.mark.parametrize("kind", ["minima", "any"])
def test_critical_point_search_reports_progress(kind):
    """Every run over two seconds shows progress, the p-spin search included: the search
    calls progress(done, total) with done rising to total."""
    J = ps_module().sample_couplings(8, 3, rng=0)
    calls = []
    ps_module().find_critical_points(J, starts=4, rng=1, kind=kind, maxiter=30,
                                     descent_maxiter=50,
                                     progress=lambda done, total: calls.append((done, total)))
    total = (50 if kind == "minima" else 0) + 30
    assert calls and all(t == total for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and calls[-1][0] == total


def ps_module():
    from rmtland.sampling import spinglass
    return spinglass


#: two kinds whose runs write different files: a Hessian run with its PDF, a spin-glass run
RUNS = {"hessian": ([*HESSIAN, "--pdf"], ["result.json", "spectrum.pdf", "spectrum.png"]),
        "network": (["simulate", "network", "--hidden", "2", "--inputs", "2", "--outputs", "1",
                     "--samples", "6", "--starts", "2", "--steps", "0", "--maxiter", "5",
                     "--reference-samples", "0", "--no-progress"],
                    ["network.png", "points.npz", "result.json"]),
        "spinglass": (["simulate", "spinglass", "--p", "3", "--N", "6", "--starts", "4",
                       "--no-progress"], ["result.json", "spinglass.png"])}


@pytest.mark.parametrize("first, second", [("hessian", "network"), ("network", "hessian"),
                                           ("hessian", "spinglass"), ("spinglass", "hessian")])
def test_a_directory_never_mixes_two_kinds(tmp_path, capsys, first, second):
    """A run of one kind into the directory of a run of another leaves exactly its own files
    (issue 17: a network run beside a ``hessian --pdf`` run left spectrum.png/.pdf): the
    previous run's files are those its manifest lists, whatever its kind; a file that no
    run wrote is left alone."""
    out = tmp_path / "run"
    assert main([*RUNS[first][0], "--out", str(out)]) == 0
    assert _listing(out) == RUNS[first][1]
    (out / "notes.txt").write_text("mine")
    assert main([*RUNS[second][0], "--out", str(out), "--json"]) == 0
    assert _listing(out) == sorted(RUNS[second][1] + ["notes.txt"])
    assert sorted(json.loads(capsys.readouterr().out.splitlines()[-1])["files"]) == \
        RUNS[second][1]
    assert sorted(_io.read_manifest(out)) == RUNS[second][1]
