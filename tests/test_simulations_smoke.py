"""Every ``simulations/*.py`` script runs in ``--smoke`` mode and writes complete, correct output.

The scripts are imported by path (``simulations/`` is not a package).  Each must write its
PNG(s) and ``result.json``; the JSON must parse, hold only finite numbers, and its numbers
must equal the analytic functions' values; no temporary file may be left behind (the
writes are atomic, ``rmtland._io``).  ``rmtland.experiments.reproduce`` is checked the same
way.
"""
import importlib.util
import json
import math
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import pytest  # noqa: E402

import rmtland  # noqa: E402
from rmtland import experiments  # noqa: E402
from rmtland.analytic.hessian import PenningtonBahri, alpha0, eps_c, index  # noqa: E402

SIM_DIR = Path(__file__).resolve().parents[1] / "simulations"
SCRIPTS = sorted(SIM_DIR.glob("*.py"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _load(path):
    spec = importlib.util.spec_from_file_location(f"_sim_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read_json(path):
    def no_constant(name):  # NaN / Infinity are not JSON and must never be written
        raise ValueError(f"non-finite constant {name} in {path}")
    return json.loads(Path(path).read_text(), parse_constant=no_constant)


def _numbers(obj):
    if isinstance(obj, bool):
        return
    if isinstance(obj, (int, float)):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _numbers(v)


def _assert_clean_dir(directory, expected):
    names = set(os.listdir(directory))
    assert not [n for n in names if n.startswith(".tmp-") or n.startswith(".")], names
    assert names == set(expected), names


def _check_png(path):
    data = Path(path).read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 10_000


# -- spot checks of the numbers in a figure's summary against the analytic layer ---------------
def _check_table(table):
    assert table
    for row in table:
        phi = row["phi"]
        assert row["eps_c"] == pytest.approx(eps_c(phi), rel=1e-14, abs=0)
        if phi < 1:
            assert row["alpha0"] == pytest.approx(alpha0(phi), rel=1e-14)
        else:
            assert row["alpha0"] is None and row["eps_c"] == 0
        for item in row["index"]:
            assert item["alpha"] == pytest.approx(index(item["eps"], phi), rel=1e-12, abs=0)


def _check_laws(laws):
    assert laws
    for law in laws:
        ref = PenningtonBahri(law["phi"], law["eps"])
        assert len(law["support"]) == len(ref.support())
        for got, want in zip(law["support"], ref.support()):
            assert got == pytest.approx(want, rel=1e-14, abs=0)
        assert law["index"] == pytest.approx(ref.index(), rel=1e-12, abs=0)
        assert [tuple(a) for a in law["atoms"]] == [tuple(a) for a in ref.atoms()]
    # the Marchenko-Pastur atom of phi = 2: mass 1 - 1/phi at 0
    mp2 = [law for law in laws if law["phi"] == 2.0 and law["eps"] == 0.0]
    assert mp2 and mp2[0]["atoms"] == [[0.0, 0.5]]


def _check_summary(name, summary):
    if name == "hessian_density":
        _check_laws(summary["laws"])
    elif name == "hessian_index":
        _check_table(summary["table"])
        for key, curve in summary["curves"].items():
            phi = float(key)
            for e, a in list(zip(curve["eps"], curve["alpha"]))[::7]:
                assert a == pytest.approx(index(e, phi), rel=1e-12, abs=0)
        for item in summary["three_halves_ratio_at_x"]:   # PB17 Eq. (17): ratio -> 1 as x -> 0
            if item["x"] <= 1e-3:
                assert item["alpha_over_law"] == pytest.approx(1.0, abs=2e-3)
    elif name == "hessian_eps_c":
        assert summary["checks"]
        for item in summary["checks"]:
            assert item["eps_c"] == pytest.approx(eps_c(item["phi"]), rel=1e-14)
            # the numerical root of lambda_-(eps) = 0 agrees with the closed form
            assert item["eps_c_numerical"] == pytest.approx(item["eps_c"], rel=1e-9)
        curve = summary["curve"]
        for phi, ec, a0 in list(zip(curve["phi"], curve["eps_c"], curve["alpha0"]))[::5]:
            assert ec == pytest.approx(eps_c(phi), rel=1e-14)
            assert a0 == pytest.approx(alpha0(phi), rel=1e-14)
    elif name == "hessian_finite_size":
        for row in summary["rows"]:
            assert row["theory_index"] == index(row["eps"], row["phi_effective"])
            assert 0 < row["ks_distance"] < 1
        assert set(summary["fits"]) == {"ks_distance", "l1_distance"}
    elif name == "spinglass_complexity":
        from rmtland.analytic.spinglass import E_inf, threshold
        for row in summary["thresholds"]:
            assert row["E_inf"] == E_inf(row["p"])
            Ek = [row["E_k"][str(k)] for k in range(6)]
            assert Ek == [threshold(k, row["p"]) for k in range(6)]
            assert all(a > b for a, b in zip(Ek, Ek[1:])) and Ek[-1] > row["E_inf"]
    elif name == "spinglass_minima":
        from rmtland.analytic.spinglass import E_inf, threshold
        for run in summary["runs"]:
            assert run["E_0"] == threshold(0, run["p"]) and run["E_inf"] == E_inf(run["p"])
            assert run["max_gradient_norm"] <= 1e-10          # every point is critical
            assert 0 <= run["minima"] <= run["critical_points"]
            assert sum(run["index_histogram"]) == run["critical_points"]
    elif name == "spinglass_count":
        for row in summary["rows"]:
            assert row["theory_mean"] > 0 and row["theory_stderr"] >= 0
            assert all(m >= 1 for m in row["found_mean"])       # every search finds a minimum
            assert row["saturation_starts"] in experiments.SPIN_COUNT["smoke"]["starts"]
    else:
        raise AssertionError(f"no spot check for figure {name!r}: add one")


def test_there_are_scripts():
    names = {p.stem for p in SCRIPTS}
    assert {"fig_hessian_density", "fig_hessian_index", "fig_eps_c"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_script_is_thin_and_documented(script):
    source = script.read_text()
    assert "sys.path" not in source
    module = _load(script)
    assert module.__doc__ and "Claim" in module.__doc__
    assert callable(module.main)


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_script_smoke(script, tmp_path, capsys):
    module = _load(script)
    out = tmp_path / "out"
    assert module.main(["--smoke", "--out", str(out)]) == 0
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs
    for png in pngs:
        _check_png(out / png)
    _assert_clean_dir(out, pngs + ["result.json"])
    printed = capsys.readouterr().out.split()
    assert str(out / "result.json") in printed

    result = _read_json(out / "result.json")
    assert result["rmtland_version"] == rmtland.__version__
    assert result["figure"] in experiments.FIGURES
    assert result["parameters"]["level"] == "smoke"
    assert result["files"] == pngs
    assert result["claim"].strip()
    numbers = list(_numbers(result))
    assert numbers and all(math.isfinite(v) for v in numbers)
    _check_summary(result["figure"], result["summary"])


def test_script_pdf_flag(tmp_path):
    module = _load(SIM_DIR / "fig_eps_c.py")
    assert module.main(["--smoke", "--pdf", "--out", str(tmp_path)]) == 0
    pdf = tmp_path / "hessian_eps_c.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    _assert_clean_dir(tmp_path, ["hessian_eps_c.png", "hessian_eps_c.pdf", "result.json"])


def test_reproduce_smoke(tmp_path):
    summary = experiments.reproduce(tmp_path, smoke=True, pdf=True)
    json.dumps(summary, allow_nan=False)            # the CLI prints it with --json
    expected = [f"{name}.{ext}" for name in experiments.FIGURES for ext in ("png", "pdf")]
    expected += ["theory_hessian.json", "simulation_hessian.json"]
    _assert_clean_dir(tmp_path, expected)
    assert sorted(os.path.basename(f) for f in summary["files"]) == sorted(expected)
    for name in experiments.FIGURES:
        _check_png(tmp_path / f"{name}.png")

    data = _read_json(tmp_path / "theory_hessian.json")
    assert data["rmtland_version"] == rmtland.__version__
    assert data["parameters"]["phis"] == list(experiments.PHIS)
    assert data["parameters"]["eps"] == list(experiments.EPS)
    assert all(math.isfinite(v) for v in _numbers(data))
    _check_table(data["table"])
    _check_laws(data["laws"])
    assert len(data["laws"]) == len(experiments.PHIS) * len(experiments.EPS)
    for name, record in data["figures"].items():
        _check_summary(name, record["summary"])
    assert summary["table"] == data["table"]


def test_reproduce_simulation_numbers(tmp_path):
    """simulation_hessian.json: the theory it quotes is the analytic layer's, and each
    simulated index lies within 4 standard errors plus the O(1/n) finite-size allowance of
    one eigenvalue per matrix (see tests/test_compare.py) of it."""
    experiments.reproduce(tmp_path, smoke=True)
    sim = _read_json(tmp_path / "simulation_hessian.json")
    assert all(math.isfinite(v) for v in _numbers(sim))
    n = experiments.SIM["smoke"]["n"]
    for row in sim["spectra"] + sim["indices"]:
        assert row["theory_index"] == index(row["eps"], row["phi"])
        se = row["index_stderr"] or 0.0
        assert abs(row["empirical_index"] - row["theory_index"]) <= 4 * se + 1 / n
    for row in sim["spectra"]:
        # KS of the pooled sample: 1.63/sqrt(N) is the 1% point for i.i.d. draws, and the
        # repulsion of eigenvalues only makes the fluctuation smaller; 1/n covers edges
        assert row["ks_distance"] <= 1.63 / math.sqrt(row["n"] * row["samples"]) + 1 / row["n"]
    assert [r["n"] for r in sim["finite_size"]["rows"]] == list(experiments.SIM["smoke"]["finite_ns"])
