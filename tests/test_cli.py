"""The command-line contract (DESIGN.md): --json prints exactly one JSON object; bad input
exits with code 2 and one line on stderr naming the parameter and its range."""
import json
import math
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rmtland._io import MANIFEST
from rmtland.analytic import PenningtonBahri, alpha0, eps_c
from rmtland.cli import main


def _files(directory):
    """The files a run left in ``directory`` (the manifest that records them aside)."""
    return sorted(n for n in os.listdir(directory) if n != MANIFEST)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_theory_hessian_json(capsys):
    code, out, err = run(capsys, "theory", "hessian", "--phi", "0.5", "--eps", "0.1", "--json")
    assert code == 0 and err == ""
    obj = json.loads(out)
    law = PenningtonBahri(0.5, 0.1)
    assert obj["index"] == law.index() and obj["eps_c"] == eps_c(0.5)
    assert obj["alpha0"] == alpha0(0.5)
    assert obj["support"] == law.support() and len(obj["moments"]) == 4
    # moments from the sympy series of theory/derive_moments.py: m2 = 1 + phi + 2 eps,
    # m3 = 1 + 3 phi + phi^2 + 6 eps, m4 = 1 + 6phi + 6phi^2 + phi^3 + 12eps + 8eps phi + 8eps^2
    assert obj["moments"] == pytest.approx([1, 1.7, 1 + 1.5 + 0.25 + 0.6,
                                            1 + 3 + 1.5 + 0.125 + 1.2 + 0.4 + 0.08], rel=1e-14)


def test_theory_hessian_phi_above_one(capsys):
    code, out, _ = run(capsys, "theory", "hessian", "--phi", "3", "--eps", "0.002", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["alpha0"] is None and "alpha0_note" in obj
    assert obj["eps_c"] == 0.0
    assert len(obj["support"]) == 2 and obj["support"][0][1] < obj["support"][1][0]


PHI_RANGE, EPS_RANGE = "(0, 1e+20]", "[0, 1e+150]"    # rmtland.analytic.hessian.PHI_MAX/EPS_MAX


@pytest.mark.parametrize("args, name, rng", [
    (["--phi", "0", "--eps", "1"], "phi", PHI_RANGE),
    (["--phi", "-1", "--eps", "1"], "phi", PHI_RANGE),
    (["--phi", "1", "--eps", "-0.1"], "eps", EPS_RANGE),
    (["--phi", "nan", "--eps", "1"], "phi", PHI_RANGE),
    (["--phi", "inf", "--eps", "1"], "phi", PHI_RANGE),
    (["--phi", "abc", "--eps", "1"], "phi", PHI_RANGE),
    # negative numbers in every spelling reach the validator (argparse used to call them a
    # missing argument), and values beyond the resolved domain are refused with the range
    (["--phi", "1", "--eps", "-1e-3"], "eps", EPS_RANGE),
    (["--phi", "-1E+2", "--eps", "1"], "phi", PHI_RANGE),
    (["--phi", "-.5", "--eps", "1"], "phi", PHI_RANGE),
    (["--phi", "-inf", "--eps", "1"], "phi", PHI_RANGE),
    (["--phi", "1e30", "--eps", "1"], "phi", PHI_RANGE),
    (["--phi", "1e160", "--eps", "1"], "phi", PHI_RANGE),
    (["--phi", "0.5", "--eps", "1e300"], "eps", EPS_RANGE),
])
def test_bad_input_exits_2_with_one_line(capsys, args, name, rng):
    with pytest.raises(SystemExit) as exc:
        main(["theory", "hessian", *args, "--json"])
    out, err = capsys.readouterr()
    assert exc.value.code == 2 and out == ""
    assert err.count("\n") == 1 and name in err and rng in err and "Traceback" not in err


def test_simulate_bad_sizes(capsys, tmp_path):
    for flag in ("--n", "--samples"):
        with pytest.raises(SystemExit) as exc:
            main(["simulate", "hessian", "--phi", "0.5", "--eps", "0.1", "--n", "10",
                  "--samples", "2", "--out", str(tmp_path), flag, "0"])
        err = capsys.readouterr().err
        assert exc.value.code == 2 and flag.lstrip("-") in err and ">= 1" in err
    # m = round(n/phi) = 0 is rejected by the library: same contract, no files left
    code, out, err = run(capsys, "simulate", "hessian", "--phi", "100", "--eps", "0.1", "--n",
                         "10", "--samples", "2", "--out", str(tmp_path / "x"), "--json")
    assert code == 2 and err.count("\n") == 1 and "phi" in err
    assert not (tmp_path / "x").exists()


def test_simulate_hessian_writes_result(capsys, tmp_path):
    code, out, _ = run(capsys, "simulate", "hessian", "--phi", "0.5", "--eps", "0.1", "--n",
                       "100", "--samples", "6", "--seed", "3", "--out", str(tmp_path), "--json",
                       "--no-progress")
    assert code == 0
    obj = json.loads(out)
    for key in ("phi", "eps", "n", "samples", "seed", "device", "empirical_index",
                "index_stderr", "theory_index", "ks_distance", "seconds"):
        assert key in obj
    assert obj["device"] == "cpu" and obj["seed"] == 3
    assert json.loads((tmp_path / "result.json").read_text()) == obj
    assert (tmp_path / "spectrum.png").read_bytes()[:4] == b"\x89PNG"
    assert _files(tmp_path) == ["result.json", "spectrum.png"]
    assert abs(obj["empirical_index"] - obj["theory_index"]) <= 4 * obj["index_stderr"] + 1 / 100


def test_simulate_gpu_without_gpu_is_an_error(capsys, tmp_path):
    from rmtland._backend import gpu_available
    if gpu_available():
        pytest.skip("a GPU is present")
    code, _, err = run(capsys, "simulate", "hessian", "--phi", "0.5", "--eps", "0.1", "--n",
                       "10", "--samples", "2", "--out", str(tmp_path), "--device", "gpu")
    assert code == 3 and "gpu" in err.lower() and err.count("\n") == 1


def test_bench_spectra_json(capsys):
    code, out, _ = run(capsys, "bench", "spectra", "--sizes", "16", "--repeats", "1", "--json")
    rows = json.loads(out)["rows"]
    assert code == 0
    assert {r["method"] for r in rows} >= {"numpy-eigvalsh", "rmtland-eigvalsh",
                                           "rmtland-inertia"}
    assert all(r["n"] == 16 and r["seconds_per_matrix"] > 0 for r in rows)


def test_verify_json(capsys):
    code, out, _ = run(capsys, "verify", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["passed"] is True
    names = [c["name"] for c in obj["checks"]]
    assert len(names) >= 20
    for c in obj["checks"]:
        assert set(c) >= {"name", "value", "reference", "error", "tolerance", "passed"}
        assert c["passed"] and c["error"] <= c["tolerance"]


def test_python_dash_m_is_the_same_program():
    res = subprocess.run([sys.executable, "-m", "rmtland", "theory", "hessian", "--phi", "0.5",
                          "--eps", "0.1", "--json"], capture_output=True, text=True, check=True)
    assert json.loads(res.stdout)["index"] == PenningtonBahri(0.5, 0.1).index()


def test_simulate_spinglass_writes_result(capsys, tmp_path):
    from rmtland.analytic.spinglass import E_inf, index_fraction, threshold
    code, out, _ = run(capsys, "simulate", "spinglass", "--p", "3", "--N", "16", "--starts",
                       "20", "--seed", "4", "--out", str(tmp_path), "--json", "--no-progress")
    assert code == 0
    obj = json.loads(out)
    for key in ("p", "N", "starts", "seed", "device", "critical_points", "minima",
                "minima_energy_mean", "minima_energy_std", "E_0", "E_inf",
                "max_gradient_norm", "seconds"):
        assert key in obj
    assert obj["E_0"] == threshold(0, 3) and obj["E_inf"] == E_inf(3)
    assert obj["max_gradient_norm"] <= 1e-10 and obj["minima"] >= 1
    assert obj["critical_points"] == len(obj["points"]["index"])
    # minima are index 0; the mean energy of the minima lies below the mean of all points
    u = obj["points"]["energy_per_site"]
    assert obj["minima_energy_mean"] < sum(u) / len(u)
    assert json.loads((tmp_path / "result.json").read_text()) == obj
    assert _files(tmp_path) == ["result.json", "spinglass.png"]
    # the index fraction of the points follows the semicircle law in their energy within a
    # finite-N spread (N = 16: fluctuations of k of order 1, i.e. 1/15 in the fraction)
    assert obj["index_fraction_mean_abs_error"] < 0.1
    assert index_fraction([0.0], 3)[0] == 0.5


def test_simulate_spinglass_bad_input(capsys, tmp_path):
    for args in (["--p", "1"], ["--N", "1"], ["--starts", "0"]):
        base = {"--p": "3", "--N": "10", "--starts": "4"}
        base[args[0]] = args[1]
        with pytest.raises(SystemExit) as exc:
            main(["simulate", "spinglass", *sum(base.items(), ()), "--out", str(tmp_path)])
        err = capsys.readouterr().err
        assert exc.value.code == 2 and args[0].lstrip("-") in err


def test_reproduce_theory_only_json(capsys, tmp_path):
    """`rmtland reproduce --out DIR --theory-only --pdf --json`: exit 0, exactly one JSON
    object on stdout, and the files it lists are exactly what DIR holds: the figures that need
    no simulation (PNG and PDF) and theory_hessian.json (no simulation_hessian.json)."""
    from rmtland import experiments
    out = tmp_path / "rep"
    code, stdout, _ = run(capsys, "reproduce", "--out", str(out), "--theory-only", "--pdf",
                          "--json")
    assert code == 0
    assert stdout.endswith("\n") and stdout.count("\n") == 1
    obj = json.loads(stdout)                      # one object: trailing text would not parse
    assert isinstance(obj, dict) and obj["out"] == str(out) and obj["level"] == "quick"
    names = [n for n, f in experiments.FIGURES.items() if f.kind != "simulation"]
    expected = sorted([f"{n}.{ext}" for n in names for ext in ("png", "pdf")]
                      + ["theory_hessian.json"])
    assert sorted(os.path.basename(f) for f in obj["files"]) == expected
    assert all(os.path.isfile(f) for f in obj["files"])
    assert (out / "hessian_eps_c.pdf").read_bytes()[:5] == b"%PDF-"
    assert _files(out) == expected
    assert obj["table"] == json.loads((out / "theory_hessian.json").read_text())["table"]


@pytest.mark.parametrize("u", ["-1e6", "-1E-3", "-1e150"])
def test_negative_scientific_u_reaches_the_theory(capsys, u):
    code, out, err = run(capsys, "theory", "spinglass", "--p", "3", "--u", u, "--json")
    obj = json.loads(out)
    assert code == 0 and err == "" and obj["u"] == float(u)
    assert all(math.isfinite(v) for v in obj["complexity_by_index"].values())


@pytest.mark.parametrize("u", ["-1e200", "1e151", "nan"])
def test_u_beyond_its_range_exits_2(capsys, u):
    with pytest.raises(SystemExit) as exc:
        main(["theory", "spinglass", "--p", "3", "--u", u])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "[-1e+150, 1e+150]" in err


@given(phi=st.floats(min_value=1e-300, max_value=1e20),
       eps=st.one_of(st.just(0.0), st.floats(min_value=1e-300, max_value=1e150)))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_theory_hessian_whole_range_gives_finite_json(capsys, phi, eps):
    """Every accepted (phi, eps): exit 0 and a JSON object of finite numbers (json.loads with
    allow_nan semantics would accept NaN; the CLI refuses to print one)."""
    code, out, err = run(capsys, "theory", "hessian", "--phi", repr(phi), "--eps", repr(eps),
                         "--json")
    assert code == 0, err
    obj = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-finite {c}"))
    assert 0.0 <= obj["index"] <= 1.0


def test_out_that_is_a_file_exits_2_before_computing(capsys, tmp_path, monkeypatch):
    target = tmp_path / "a_file"
    target.write_text("keep me")
    import rmtland.experiments.hessian as eh
    monkeypatch.setattr(eh, "hessian_spectra", lambda *a, **k: pytest.fail("computed"))
    code = main(["simulate", "hessian", "--phi", "0.5", "--eps", "0.1", "--n", "20",
                 "--samples", "2", "--out", str(target)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--out" in err and "existing file" in err
    assert target.read_text() == "keep me"


def test_out_below_a_file_exits_2(capsys, tmp_path):
    (tmp_path / "f").write_text("")
    code = main(["simulate", "spinglass", "--p", "3", "--N", "8", "--starts", "2",
                 "--out", str(tmp_path / "f" / "sub")])
    err = capsys.readouterr().err
    assert code == 2 and "--out" in err and err.count("\n") == 1


def test_internal_failure_exits_1_with_one_line(capsys, monkeypatch):
    import rmtland.analytic.hessian as ah
    monkeypatch.setattr(ah.PenningtonBahri, "index",
                        lambda self: (_ for _ in ()).throw(ValueError("boom in the numerics")))
    code = main(["theory", "hessian", "--phi", "0.5", "--eps", "0.1"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "internal error" in err and "boom" in err
    assert "Traceback" not in err
    code = main(["--debug", "theory", "hessian", "--phi", "0.5", "--eps", "0.1"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" in err


def test_interrupt_exits_130_with_one_line(capsys, monkeypatch, tmp_path):
    import rmtland.experiments.hessian as eh

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(eh, "hessian_spectra", interrupted)
    code = main(["simulate", "hessian", "--phi", "0.5", "--eps", "0.1", "--n", "20",
                 "--samples", "2", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 130 and err.count("\n") == 1 and "interrupted" in err
    assert "Traceback" not in err


@given(p=st.integers(min_value=2, max_value=10 ** 6), k=st.integers(min_value=0, max_value=10 ** 9),
       u=st.floats(min_value=-1e150, max_value=1e150))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_theory_spinglass_whole_range_gives_finite_json(capsys, p, k, u):
    """Every accepted (p, k, u): exit 0 and finite JSON, E_k >= E_inf (ABC13 Eq. (2.13)); or,
    where (k + 1) I1(u) leaves float64 (k ~ 1e9 with |u| ~ 1e150), exit 2 naming k and u."""
    code, out, err = run(capsys, "theory", "spinglass", "--p", str(p), "--k", str(k),
                         "--u", repr(u), "--json")
    if code == 2:
        assert err.count("\n") == 1 and "k = " in err and "reduce |u| or k" in err
        assert (k + 1) * u * u > 1e299, (k, u)
        return
    assert code == 0, err
    obj = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-finite {c}"))
    assert obj["E_k"][str(k)] >= obj["E_inf"] - 1e-12
    assert 0.0 <= obj["index_fraction"] <= 1.0


@given(n=st.integers(min_value=1, max_value=12), samples=st.integers(min_value=1, max_value=3),
       phi=st.one_of(st.floats(min_value=1e-300, max_value=1e20),   # the whole range, and
                     st.floats(min_value=-3, max_value=1).map(lambda e: 10.0 ** e)),  # runs
       eps=st.one_of(st.just(0.0), st.floats(min_value=1e-300, max_value=1e150),
                     st.floats(min_value=-6, max_value=2).map(lambda e: 10.0 ** e)))
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_simulate_hessian_whole_range(capsys, tmp_path_factory, monkeypatch, n, samples, phi,
                                     eps):
    """Every accepted number: exit 0 with finite JSON, or exit 2 with one line naming the
    parameter that cannot be met (m = round(n/phi) < 1, or a factor too big for memory).
    Run as on a machine with 512 MiB available (so half, 256 MiB, for one call), so that a tiny
    phi (an n x m factor of ~1e8 columns, seconds of drawing on this machine) meets the
    memory refusal rather than the clock; the refusal path is the one under test there."""
    import rmtland.linalg.dense as dense
    monkeypatch.setattr(dense, "host_available_bytes", lambda: 2 ** 29)
    out = tmp_path_factory.mktemp("sim")
    code, stdout, err = run(capsys, "simulate", "hessian", "--n", str(n), "--samples",
                            str(samples), "--phi", repr(phi), "--eps", repr(eps), "--out",
                            str(out), "--json", "--no-progress")
    if code == 0:
        obj = json.loads(stdout, parse_constant=lambda c: pytest.fail(f"non-finite {c}"))
        assert 0.0 <= obj["empirical_index"] <= 1.0 and obj["n"] == n
    else:
        assert code == 2 and err.count("\n") == 1 and "phi" in err and len(err) < 400, err


def test_unwritable_out_exits_2_before_computing(capsys, tmp_path, monkeypatch):
    """A directory that refuses a new file (read-only file system, no permission: root ignores
    permissions, so the refusal is simulated at the probe) is rejected before any computing."""
    import errno
    import tempfile

    import rmtland.experiments.hessian as eh

    def refuse(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    monkeypatch.setattr(eh, "hessian_spectra", lambda *a, **k: pytest.fail("computed"))
    code = main(["simulate", "hessian", "--phi", "0.5", "--eps", "0.1", "--n", "20",
                 "--samples", "2", "--out", str(tmp_path / "ro")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "not writable" in err and "Read-only" in err


@pytest.mark.parametrize("args, message", [
    (["--workers", "2"], "--workers applies to --full only"),
    (["--scheduler", "tcp://127.0.0.1:9"], "--scheduler applies to --full only"),
    (["--full", "--workers", "100000"], "--workers must be an integer in [0, "),
    (["--full", "--scheduler", "tcp://127.0.0.1:9"], "--scheduler 'tcp://127.0.0.1:9'"),
])
def test_reproduce_distribution_options_are_checked_first(capsys, tmp_path, monkeypatch,
                                                          args, message):
    """`reproduce` names --workers / --scheduler as `rmtland sweep` does (a closed port is
    refused at once), and refuses them without --full (they would be ignored), before any
    figure computes."""
    import rmtland.experiments

    def no_figure(*a, **k):
        raise AssertionError("reproduce started before the options were checked")
    monkeypatch.setattr(rmtland.experiments, "reproduce", no_figure)
    out = tmp_path / "r"
    code = main(["reproduce", "--out", str(out), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert not out.exists() or not any(out.iterdir())
