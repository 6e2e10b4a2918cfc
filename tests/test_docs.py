"""The documentation (docs/) builds with warnings as errors, and its API reference documents
every public name (slow: the build); the README's links into docs/ resolve (default suite).

The build runs Sphinx on a copy of docs/ and simulations/ without executing the gallery
(``-D plot_gallery=0``: the scripts run at smoke size in .ci/run's gallery build instead), so
that it neither writes into the source tree nor leaves sphinx-gallery believing the examples are
up to date.  "Public" is decided here, independently of docs/_apigen.py: every module of the
package tree with no component starting with ``_``, and every name in its ``__all__``.
"""
import importlib
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import rmtland

# the build takes 12 s on an idle 2-core machine and 20-35 s on a busy one: beyond the default
# suite's budget, so the tests that read it run with the slow suite (.ci/run)
slow = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
DOCS_DEPS = ("sphinx", "numpydoc", "sphinx_gallery")


def _docs_deps_missing():
    missing = []
    for name in DOCS_DEPS:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    """The built HTML tree (a tmp directory)."""
    missing = _docs_deps_missing()
    if missing:
        if os.environ.get("RMTLAND_CI"):
            pytest.fail(f"{missing} not installed: CI installs the test extra of setup.cfg, "
                        "which must list the documentation's dependencies")
        pytest.skip(f"documentation dependencies missing: {missing}")
    src = tmp_path_factory.mktemp("docs-src")
    shutil.copytree(ROOT / "docs", src / "docs",
                    ignore=shutil.ignore_patterns("_build", "auto_examples", "generated"))
    shutil.copytree(ROOT / "simulations", src / "simulations",
                    ignore=shutil.ignore_patterns("__pycache__"))
    out = src / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-D", "plot_gallery=0", "-d", str(src / "doctrees"), str(src / "docs"), str(out)],
        capture_output=True, text=True, cwd=src, timeout=600,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])))
    assert proc.returncode == 0, f"sphinx -W failed:\n{proc.stdout}\n{proc.stderr}"
    return out


def _public_modules():
    names = ["rmtland"]
    for info in pkgutil.walk_packages(rmtland.__path__, "rmtland."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return names


@slow
def test_every_public_name_is_in_the_api_reference(html):
    pages = {p.stem: p.read_text(encoding="utf-8")
             for p in (html / "api" / "generated").glob("*.html")}
    ids = {i for text in pages.values()
           for i in re.findall(r'id="(?:module-)?(rmtland[\w.]*)"', text)}
    missing = []
    modules = _public_modules()
    assert len(modules) > 30                # the walk found the package tree
    for modname in modules:
        assert modname in pages, f"no API page for {modname}"
        assert modname in ids, f"{modname}'s page does not document the module"
        module = importlib.import_module(modname)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            full = f"{modname}.{name}"
            if full in ids:
                continue
            # re-exported: the module's page links to the one full entry of the object
            targets = re.findall(rf'href="[^"]*#(rmtland[\w.]*\.{re.escape(name)})"',
                                 pages[modname])
            if isinstance(obj, types.ModuleType):
                ok = obj.__name__ in pages and f'href="{obj.__name__}.html' in pages[modname]
            else:
                ok = any(t in ids for t in targets)
            if not ok:
                missing.append(full)
    assert not missing, f"public names missing from the API reference: {missing}"


@slow
def test_every_entry_of_the_api_reference_has_a_description(html):
    """A name in ``__all__`` with no docstring (or, for data, no ``#:`` comment above its
    assignment) shows as a bare signature: listed, but not documented."""
    bare = []
    for page in (html / "api" / "generated").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        for m in re.finditer(r'<dt class="sig sig-object py" id="(rmtland[\w.]*)">.*?</dt>'
                             r'\s*<dd>(.*?)</dd>', text, re.S):
            if not re.sub(r"<[^>]+>", "", m.group(2)).strip():
                bare.append(m.group(1))
    assert not bare, f"public names without a description: {sorted(bare)}"


@slow
def test_math_renders_and_the_gallery_lists_every_figure(html):
    page = (html / "api" / "generated" / "rmtland.analytic.hessian.html").read_text(
        encoding="utf-8")
    assert "mathjax" in page.lower() and 'class="math' in page
    # the gallery has one page per script of simulations/, and so every figure of reproduce
    from rmtland import experiments
    scripts = sorted(p.stem for p in (ROOT / "simulations").glob("*.py"))
    assert {f"fig_{n}" if n != "hessian_eps_c" else "fig_eps_c"
            for n in experiments.FIGURES} <= set(scripts)
    for stem in scripts:
        assert (html / "auto_examples" / f"{stem}.html").is_file(), stem


def test_readme_links_resolve_and_keeps_the_setup_commands():
    """The README links into docs/ (each target exists), keeps the two set-up commands word
    for word, and names the one docs command (the one .ci/run builds, there with -q)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((?!https?:)([^)#]+)", readme)
    assert links and any(link.startswith("docs/results/") for link in links)
    assert [link for link in links if not (ROOT / link).exists()] == []
    for command in ("python -m pip install '.[data]' && rmtland reproduce --quick --out results",
                    "python -m pip install -e '.[test]' && python -m pytest -q",
                    "python -m sphinx -W -b html docs docs/_build/html"):
        assert command in readme, command
    assert "python -m sphinx -W -q -b html docs docs/_build/html" in \
        (ROOT / ".ci" / "run").read_text(encoding="utf-8")
