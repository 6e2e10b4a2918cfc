"""The sweep engine split by concern (issue 21): one registry of kinds, filled in
``rmtland.experiments.sweep.kinds`` whatever the import order, and the same tables, byte for
byte, as the single-module engine wrote before the split (digests pinned from it)."""
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rmtland.experiments import sweep

ROOT = Path(__file__).resolve().parents[1]
#: the kinds rmtland ships (simulate's studies, reproduce's figures, the trained-loss study)
BUILTIN = {"hessian", "spinglass", "network", "figure", "trained"}


@pytest.mark.parametrize("first", ["rmtland.experiments.sweep", "rmtland.experiments.trained"])
def test_a_fresh_interpreter_sees_every_kind_whatever_it_imports_first(first):
    code = (f"import {first}\nimport sys\n"
            "kinds = sys.modules['rmtland.experiments.sweep.kinds'].KINDS\n"
            "print(' '.join(sorted(kinds)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert set(out.split()) == BUILTIN


def test_only_the_kinds_module_registers_kinds():
    """``register_kind(`` is called in rmtland's source only where the registry lives."""
    callers = [p.relative_to(ROOT).as_posix() for p in (ROOT / "rmtland").rglob("*.py")
               if re.search(r"register_kind\(\s*[\"']", p.read_text())]
    assert callers == ["rmtland/experiments/sweep/kinds.py"]


def test_the_old_names_are_still_there():
    """Every public name of the single module, and the names other modules use, are
    re-exported by the package (and are the objects of their own module)."""
    assert set(sweep.__all__) <= set(dir(sweep))
    for name in ("InputError", "integer", "choice", "boolean", "real", "scalar_fields",
                 "host_budget", "local_cluster", "toml_module", "columns", "JSON_COLUMN",
                 "FORMATS", "Point", "Sweep", "versions", "network_point"):
        assert hasattr(sweep, name), name
    assert sweep.KINDS is sweep.kinds.KINDS and sweep.run_sweep is sweep.runners.run_sweep


# -- tables byte for byte ---------------------------------------------------------------------
def draws(*, x, y, seed, device):
    """A kind whose fields are the same on every platform: uniforms from the point's seed
    (PCG64's stream, floats by repr), an integer past 2**63, text with CSV's special
    characters, a None and a boolean."""
    u = np.random.default_rng(seed).random(2)
    return {"u0": float(u[0]), "u1": float(u[1]), "big": 2**63 + x * y,
            "text": f'a,"b"\n{x}', "none": None, "flag": (x + y) % 3 == 0}


#: a grid with a range axis, a zip group and listed replicate ids: 3 x 2 points x 2 seeds
TABLES_SPEC = {"kind": "draws", "seed": 3, "seeds": [0, 5],
               "grid": {"x": {"range": [0, 6, 2]}, "zip": [{"y": [1, 2]}]},
               "output": {"formats": ["csv", "jsonl"]}}
#: SHA-256 of TABLES_SPEC's tables (seconds set to 0) as the single-module engine wrote them
#: (rmtland/experiments/sweep.py at commit 3201928, before the split; table_digests there)
PINNED = {"csv": "0469fee494c7e71de02cebd9bd4e2cc5ea837d1436d3bab390a73d62c7d17f42",
          "jsonl": "a661584a913e1ed481f40363cb4f17bf3467163d4a152e5eb31f87d9fcb85ef2"}


def table_digests(out, monkeypatch):
    """TABLES_SPEC run in this process, its rows' seconds set to 0 and the tables written
    again: {format: SHA-256 of the file}."""
    monkeypatch.setitem(sweep.KINDS, "draws", sweep.Kind(
        "draws", draws, {"x": sweep.integer("x", 0), "y": sweep.integer("y", 0)}))
    spec = sweep.parse_spec(TABLES_SPEC)
    summary = sweep.run_sweep(spec, os.path.join(out, "run"), workers=0, progress=False)
    rows = [{**r, "seconds": 0.0} for r in summary["rows"]]
    os.makedirs(os.path.join(out, "zeroed"))
    paths, errors = sweep.write_tables(rows, os.path.join(out, "zeroed"), spec)
    assert not errors and summary["done"] == 12
    return {f: hashlib.sha256(Path(p).read_bytes()).hexdigest() for f, p in paths.items()}


def test_the_tables_are_those_of_the_single_module_engine_byte_for_byte(tmp_path, monkeypatch):
    assert table_digests(str(tmp_path), monkeypatch) == PINNED
