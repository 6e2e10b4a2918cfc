"""The theory/derive_*.py scripts (DESIGN.md: derive a closed form, check it against the
library's numerics, print the result): each exits 0 and prints only PASS lines; a failing
check prints a FAIL line and gives a non-zero exit code, in-process and as a real process."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from rmtland.derivations.core import Check, Derivation, script_main

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "theory").glob("derive_*.py"))


def _load(path):
    spec = importlib.util.spec_from_file_location(f"_theory_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check_lines(out):
    return [ln for ln in out.splitlines() if ln.startswith(("PASS", "FAIL"))]


def test_there_are_scripts():
    assert len(SCRIPTS) >= 7


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_script_passes(script, capsys):
    module = _load(script)
    assert module.__doc__ and module.main([]) == 0
    lines = _check_lines(capsys.readouterr().out)
    assert lines and all(ln.startswith("PASS") for ln in lines)


def _derivation(passed):
    import sympy as sp
    x = sp.Symbol("x")
    return Derivation("toy", {"f": x ** 2},
                      [Check("exact", 1.0, 1.0, 0.0),
                       Check("off", 1.0 if passed else 1.1, 1.0, 1e-3, relative=True)])


def test_script_main_exit_codes(capsys):
    assert script_main(lambda: _derivation(True), "doc", []) == 0
    assert [ln[:4] for ln in _check_lines(capsys.readouterr().out)] == ["PASS", "PASS"]
    assert script_main(lambda: _derivation(False), "doc", []) == 1
    lines = _check_lines(capsys.readouterr().out)
    assert [ln[:4] for ln in lines] == ["PASS", "FAIL"] and "off" in lines[1]


def test_check_fails_on_nan():
    assert not Check("nan", float("nan"), 1.0, 1e300).passed


def test_a_wrong_library_value_fails_the_script(monkeypatch, capsys):
    """derive_eps_c checks the library's eps_c against the sympy closed form to 1e-14: a
    library off by 1e-10 relative makes the script print FAIL and return 1."""
    import rmtland.analytic.hessian as h
    right = h.eps_c
    monkeypatch.setattr(h, "eps_c", lambda phi: right(phi) * (1 + 1e-10))
    module = _load(ROOT / "theory" / "derive_eps_c.py")
    assert module.main([]) == 1
    lines = _check_lines(capsys.readouterr().out)
    assert any(ln.startswith("FAIL") and "eps_c" in ln for ln in lines)


def test_failing_script_exit_status_as_a_process():
    """The same failure through ``python theory/derive_eps_c.py`` (``sys.exit(main())``)."""
    code = ("import runpy, sys, rmtland.analytic.hessian as h; right = h.eps_c; "
            "h.eps_c = lambda phi: right(phi) * (1 + 1e-10); "
            f"sys.argv = [{str(ROOT / 'theory' / 'derive_eps_c.py')!r}]; "
            "runpy.run_path(sys.argv[0], run_name='__main__')")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT)
    assert res.returncode == 1, res.stderr
    assert any(ln.startswith("FAIL") for ln in res.stdout.splitlines())
