"""The layers of DESIGN.md import one way only, and no module imports another's private names.

Every module under ``rmtland/`` is parsed (``ast``; nothing is imported), each import is
resolved to an absolute module name, and the pair (importing layer, imported layer) must be
allowed by :data:`ALLOWED`::

    cli ─► experiments ─► plotting            (arrays in, Figure out; never evaluates theory)
              │
              ▼
           compare ─► analytic                (pure math: no RNG, no sampling)
              │
              ▼
   networks, sampling ─► linalg ─► base (_backend, _seeds, _validate, _io, _progress)

The test checks itself: a module that imports upwards is reported (``test_checker_catches``).
"""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "rmtland"
BASE = {"_backend", "_seeds", "_validate", "_io", "_progress", "_version"}
#: layer -> layers it may import (itself included)
ALLOWED = {
    "base": {"base"},
    "analytic": {"base", "analytic"},
    "derivations": {"base", "analytic", "derivations"},
    "linalg": {"base", "linalg"},
    "sampling": {"base", "linalg", "sampling"},
    "networks": {"base", "linalg", "networks"},
    "compare": {"base", "analytic", "linalg", "sampling", "networks", "compare"},
    "plotting": {"base", "plotting"},
    "experiments": {"base", "analytic", "linalg", "sampling", "networks", "compare",
                    "plotting", "experiments"},
    "bench": {"base", "linalg", "sampling", "networks", "bench"},
    "cli": {"base", "analytic", "derivations", "linalg", "sampling", "networks", "compare",
            "plotting", "experiments", "bench", "cli", "package"},
    "package": {"base", "analytic", "package"},        # rmtland/__init__.py re-exports theory
    "main": {"cli"},
}


def layer_of(module):
    """Layer of an absolute module name ``rmtland.x.y``."""
    parts = module.split(".")
    if parts == ["rmtland"]:
        return "package"
    head = parts[1]
    if head in BASE:
        return "base"
    if head == "__main__":
        return "main"
    return head


def module_name(path):
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path):
    """(line, imported absolute module, imported names) of every rmtland import in ``path``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "rmtland":
                    yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "rmtland":
                continue
            for alias in node.names:            # "from . import x": x may be a module
                if _is_module(f"{target}.{alias.name}"):
                    yield node.lineno, f"{target}.{alias.name}", []
                else:
                    yield node.lineno, target, [alias.name]


def _is_module(name):
    path = PKG.parent / Path(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def violations(paths):
    out = []
    for path in paths:
        src = module_name(path)
        src_layer = layer_of(src)
        for line, target, names in imports(path):
            dst_layer = layer_of(target)
            where = f"{path.relative_to(PKG.parent)}:{line}"
            if dst_layer not in ALLOWED[src_layer]:
                out.append(f"{where}: layer {src_layer!r} imports {target} (layer {dst_layer!r})")
            # private names of another module (private modules such as _style are fine)
            bad = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if bad and target != src:
                out.append(f"{where}: imports private {bad} from {target}")
    return out


MODULES = sorted(PKG.rglob("*.py"))


def test_every_module_has_a_layer():
    unknown = {layer_of(module_name(p)) for p in MODULES} - set(ALLOWED)
    assert not unknown


def test_imports_point_down():
    assert violations(MODULES) == []


def test_plotting_never_evaluates_theory():
    """DESIGN.md: plotting takes arrays; it imports neither the analytic nor the compare layer."""
    for path in (PKG / "plotting").glob("*.py"):
        for _, target, _ in imports(path):
            assert layer_of(target) in {"base", "plotting"}, (path, target)


@pytest.mark.parametrize("source, expected", [
    ("from ..plotting import hessian\n", "layer 'analytic' imports rmtland.plotting"),
    ("from .laws import _edge_map\n", "imports private"),
    ("import rmtland.experiments\n", "layer 'analytic' imports rmtland.experiments"),
])
def test_checker_catches(tmp_path, monkeypatch, source, expected):
    """A planted upward (or private) import in an analytic module is reported."""
    fake = PKG / "analytic" / "_layer_probe.py"
    monkeypatch.setattr(Path, "read_text",
                        lambda self, *a, **k: source if self == fake else
                        Path.read_bytes(self).decode())
    found = violations([fake])
    assert any(expected in v for v in found), found
