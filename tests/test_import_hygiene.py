"""`import rmtland` stays light: no CuPy, no matplotlib, no sympy (DESIGN.md: heavy and optional
dependencies are imported lazily; STYLE.md §10/§13).

Each check runs in a fresh interpreter (``subprocess``), since this test process may already
have imported any of them.
"""
import json
import subprocess
import sys

import pytest

HEAVY = ["cupy", "matplotlib", "sympy"]


def loaded_after(statement):
    """Top-level package names from HEAVY present in sys.modules after ``statement``."""
    code = (f"{statement}\nimport sys, json\n"
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("statement", [
    "import rmtland",
    "import rmtland.analytic",
    "from rmtland.analytic import PenningtonBahri, eps_c, alpha0, index",
])
def test_import_pulls_in_no_heavy_dependency(statement):
    assert loaded_after(statement) == []


def test_analytic_numbers_need_no_heavy_dependency():
    """Computing the PB index, edges and moments (the CLI's `theory hessian`) still needs none
    of them: sympy belongs to FreeSum and the derivations only."""
    statement = ("import numpy as np\nfrom rmtland.analytic import PenningtonBahri\n"
                 "law = PenningtonBahri(0.5, 0.1)\n"
                 "law.index(); law.support(); law.moments(4); law.density(np.linspace(0, 1, 5))")
    assert loaded_after(statement) == []


def test_helper_detects_a_loaded_module():
    """The check itself works: importing json-like stdlib is invisible, sympy is seen."""
    assert loaded_after("import sympy") == ["sympy"]
