"""The results schema (issue 21, rmtland.experiments.schema): each study's real ``result.json``,
written at the smallest sizes the other tests use, agrees with its documented fields both ways
(every emitted field documented, every documented non-optional field emitted, the types, no
NaN), every column of a tiny sweep's table for each kind is a documented column, the validator
catches each kind of problem it names, and the docs page lists every field."""
import csv
import json
import math
from copy import deepcopy
from pathlib import Path

import numpy as np
import pytest

from rmtland.cli import main
from rmtland.experiments import schema

ROOT = Path(__file__).resolve().parents[1]
TINY_TORCH = f"{ROOT / 'simulations' / 'torch_models.py'}:tiny_mlp"


def _cli(*argv):
    assert main([str(a) for a in argv]) == 0


def _load(path):
    return json.loads(Path(path).read_text())


# -- each study, as its own tests size it -----------------------------------------------------
def _hessian(out):          # tests/test_cli.py::test_simulate_hessian_writes_result
    _cli("simulate", "hessian", "--phi", 0.5, "--eps", 0.1, "--n", 100, "--samples", 6,
         "--seed", 3, "--out", out, "--no-progress")
    return _load(out / "result.json")


def _hessian_slq(out):      # the matrix-free fields (probes, steps, operator, ks_stderr, ...)
    _cli("simulate", "hessian", "--phi", 0.5, "--eps", 0.1, "--n", 100, "--samples", 2,
         "--method", "slq", "--probes", 4, "--steps", 10, "--out", out, "--no-progress")
    return _load(out / "result.json")


def _spinglass(out):        # tests/test_runs.py RUNS["spinglass"]
    _cli("simulate", "spinglass", "--p", 3, "--N", 6, "--starts", 4, "--out", out,
         "--no-progress")
    return _load(out / "result.json")


def _network(out):          # tests/test_runs.py RUNS["network"]
    _cli("simulate", "network", "--hidden", 2, "--inputs", 2, "--outputs", 1, "--samples", 6,
         "--starts", 2, "--steps", 0, "--maxiter", 5, "--reference-samples", 0,
         "--no-progress", "--out", out)
    return _load(out / "result.json")


def _fit(out):              # tests/test_cli_fit.py::test_fit_json_and_files
    from rmtland.sampling.hessian import sample_hessian
    np.save(out.parent / "e.npy", np.linalg.eigvalsh(sample_hessian(200, 0.5, 0.1, rng=1)[0]))
    _cli("fit", out.parent / "e.npy", "--law", "pb", "--bootstrap", 3, "--spikes", 3,
         "--seed", 2, "--out", out)
    return _load(out / "result.json")


def _freeness_scaling(out):     # tests/test_freeness_scaling.py TINY, through the JSON writer
    from rmtland._io import write_json
    from rmtland.experiments import freeness_scaling as fs
    cfg = fs.FreenessScalingConfig(ladder=((2, 3, 2), (4, 6, 2)), units=2, null_draws=19,
                                   grid=129)
    out.mkdir()
    write_json(out / "result.json", fs.freeness_scaling(cfg))
    return _load(out / "result.json")


def _trained(out):          # tests/test_experiments_trained.py ARGV (two widths: spread_fit)
    pytest.importorskip("sklearn")
    _cli("simulate", "trained", "--widths", 4, 8, "--networks", 4, "--activation", "tanh",
         "--classes", 2, 3, "--hessian-width", 4, "--hessian-networks", 2, "--epochs", 3,
         "--seed", 3, "--no-progress", "--out", out)
    return _load(out / "result.json")


def _spectrum(out):         # tests/test_experiments_spectrum.py dense_run
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _cli("spectrum", "--torch", TINY_TORCH, "--part", "H", "H0", "H1", "--each-layer",
             "--top", 4, "--fit", "mp+semicircle", "--bootstrap", 3, "--out", out)
    finally:
        torch.set_num_threads(threads)
    return _load(out / "result.json")


def _reproduce(out):        # tests/test_simulations_smoke.py theory_only; printed by --json
    from rmtland import experiments
    summary = experiments.reproduce(out, smoke=True, simulate=False, progress=False)
    return json.loads(json.dumps(summary, allow_nan=False, default=str))


def _hessian_kpm(out):      # the kpm-only field (degree)
    _cli("simulate", "hessian", "--phi", 0.5, "--eps", 0.1, "--n", 100, "--samples", 2,
         "--method", "kpm", "--probes", 4, "--degree", 20, "--out", out, "--no-progress")
    return _load(out / "result.json")


def _network_reference(out):    # PB-model references and more points (matched, theory_index)
    _cli("simulate", "network", "--hidden", 3, "--inputs", 3, "--outputs", 2, "--samples", 10,
         "--starts", 8, "--maxiter", 50, "--reference-samples", 1, "--null-draws", 4,
         "--no-progress", "--out", out)
    return _load(out / "result.json")


def _network_digits(out):   # the digits-only fields (pixels, inputs_note)
    pytest.importorskip("sklearn")
    _cli("simulate", "network", "--hidden", 2, "--inputs", 4, "--outputs", 2, "--samples", 20,
         "--data", "digits", "--starts", 2, "--steps", 0, "--maxiter", 5,
         "--reference-samples", 0, "--null-draws", 4, "--no-progress", "--out", out)
    return _load(out / "result.json")


def _spectrum_slq(out):     # the matrix-free block fields (probes, steps, matvecs)
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _cli("spectrum", "--torch", TINY_TORCH, "--method", "slq", "--probes", 4, "--steps", 10,
             "--part", "H", "--top", 0, "--fit", "mp+semicircle", "--bootstrap", 2,
             "--out", out)
    finally:
        torch.set_num_threads(threads)
    return _load(out / "result.json")


def _fit_slq(out):          # rmtland fit of SLQ quadrature (input slq, spikes null)
    _spectrum_slq(out.parent / "spectrum")
    _cli("fit", out.parent / "spectrum" / "spectrum.npz", "--law", "mp+semicircle",
         "--bootstrap", 2, "--out", out)
    return _load(out / "result.json")


FAST = {"hessian": _hessian, "hessian_slq": _hessian_slq, "spinglass": _spinglass,
        "network": _network, "fit": _fit, "freeness_scaling": _freeness_scaling}
SLOW = {"trained": _trained, "spectrum": _spectrum, "reproduce": _reproduce,
        "hessian_kpm": _hessian_kpm, "network_reference": _network_reference,
        "network_digits": _network_digits, "spectrum_slq": _spectrum_slq, "fit_slq": _fit_slq}
#: the variants' study
VARIANT = {"hessian_slq": "hessian", "hessian_kpm": "hessian", "network_reference": "network",
           "network_digits": "network", "spectrum_slq": "spectrum", "fit_slq": "fit"}


def _study(name):
    return VARIANT.get(name, name)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """name -> its result.json, each study run once per module (on first use)."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = {**FAST, **SLOW}[name](tmp_path_factory.mktemp(name) / "run")
        return deepcopy(cache[name])
    return get


@pytest.mark.parametrize("name", sorted(FAST) + [pytest.param(n, marks=pytest.mark.slow)
                                                 for n in sorted(SLOW)])
def test_result_json_agrees_with_its_schema(name, runs):
    """The real result.json of each study: no undocumented field, no documented non-optional
    field missing, every type as documented, no NaN or infinity."""
    assert schema.validate(_study(name), runs(name)) == []


def test_every_study_and_sweep_kind_is_documented():
    """The schema covers every study of the brief and every registered sweep kind."""
    from rmtland.experiments.sweep import KINDS
    assert set(schema.STUDIES) == {"hessian", "spinglass", "network", "trained", "fit",
                                   "spectrum", "freeness_scaling", "reproduce", "sweep"}
    from rmtland.experiments.sweep import writers
    assert set(schema.SWEEP_KINDS) == set(KINDS)
    assert [f.name for f in schema._LEAD + schema._TAIL] == list(writers.LEAD + writers.TAIL)
    for study, rows in schema.STUDIES.items():
        names = [f.name for f in rows]
        assert len(names) == len(set(names)), study
        for f in rows:
            assert f.meaning and f.unit
            assert set(f.type.split("|")) <= set(schema.TYPES) | {"null"}, f


# -- the validator finds what it names --------------------------------------------------------
@pytest.mark.parametrize("change, expected", [
    (lambda r: r.pop("minima"), "missing field minima"),
    (lambda r: r["points"].pop("index"), "missing field points.index"),
    (lambda r: r.update(minimum_energy=1.0), "undocumented field minimum_energy"),
    (lambda r: r["points"].update(extra=[]), "undocumented field points.extra"),
    (lambda r: r.update(N="6"), "N should be int"),
    (lambda r: r.update(E_0=None), "E_0 should be number"),
    (lambda r: r.update(lowest_energy=math.nan), "lowest_energy holds NaN"),
    (lambda r: r["points"]["energy_per_site"].append(math.inf),
     "points.energy_per_site holds NaN or infinity"),
])
def test_validator_reports_each_problem(runs, change, expected):
    """A real result with one change: exactly one problem, naming the field."""
    r = runs("spinglass")
    assert schema.validate("spinglass", r) == []
    change(r)
    problems = schema.validate("spinglass", r)
    assert len(problems) == 1 and expected in problems[0], problems


def test_validator_descends_into_lists_and_wildcards(runs):
    """Items of a list of objects and keys under a wildcard are checked too."""
    r = runs("fit")
    r["predictions"][0]["sigma"] = 1.0
    r["params"]["phi"]["stderr"] = "x"
    problems = schema.validate("fit", r)
    assert any("undocumented field predictions[].sigma" in p for p in problems)
    assert any("params.phi.stderr should be number|null" in p for p in problems)
    assert schema.validate("fit", [1]) and schema.validate("fit", {}) != []


# -- sweep tables -----------------------------------------------------------------------------
SWEEPS = {
    "hessian": {"phi": 0.5, "eps": 0.1, "n": 30, "samples": 2},
    "spinglass": {"p": 3, "N": 6, "starts": 4},
    "figure": {"name": "hessian_eps_c", "level": "smoke"},
    "network": {"hidden": 2, "inputs": 2, "outputs": 1, "samples": 6, "starts": 2,
                "maxiter": 5, "reference_samples": 0, "null_draws": 4},
    "trained": {"width": 4, "networks": 2, "epochs": 2},
}


@pytest.mark.parametrize("kind", ["hessian", "spinglass", "figure"] + [
    pytest.param(k, marks=pytest.mark.slow) for k in ("network", "trained")])
def test_sweep_table_columns_are_documented(kind, tmp_path):
    """A one-point sweep of each kind: every CSV column is a documented column of the kind,
    each JSONL row agrees with the columns' types (no NaN), and the sweep's own result.json
    agrees with its fields."""
    if kind == "trained":
        pytest.importorskip("sklearn")
    from rmtland.experiments.sweep import run_sweep
    summary = run_sweep({"kind": kind, "grid": SWEEPS[kind]}, tmp_path / "s", workers=0,
                        progress=False)
    assert summary["done"] == 1, summary
    assert schema.validate("sweep", _load(tmp_path / "s" / "result.json")) == []
    with open(tmp_path / "s" / "table.csv", newline="") as fh:
        header = next(csv.reader(fh))
    documented = {f.name for f in schema.sweep_columns(kind)}
    assert [c for c in header if c not in documented] == []
    for line in (tmp_path / "s" / "table.jsonl").read_text().splitlines():
        assert schema.validate(f"sweep:{kind}", json.loads(line)) == []


# -- the docs page ----------------------------------------------------------------------------
def test_docs_page_lists_every_field():
    """The generated page has a section per study and a row per field, the committed page is
    the generated one (``python docs/_schemagen.py`` rewrites it), and the guide's index links
    it."""
    text = schema.rst()
    assert (ROOT / "docs" / "guide" / "results_schema.rst").read_text() == text
    for study, rows in schema.STUDIES.items():
        assert schema._TITLES[study] in text
        for f in rows:
            assert f"``{f.name}``" in text, f.name
    assert "results_schema" in (ROOT / "docs" / "guide" / "index.rst").read_text()
