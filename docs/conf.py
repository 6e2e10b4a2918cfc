"""Sphinx configuration of the rmtland documentation.

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (runs the gallery at smoke size);
without running the gallery: add ``-D plot_gallery=0``.
"""
import importlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)                       # _apigen, _gallery
sys.path.insert(0, os.path.dirname(HERE))      # rmtland from the source tree

import _apigen  # noqa: E402
import _schemagen  # noqa: E402
import _gallery  # noqa: E402
from sphinx.util.docstrings import prepare_docstring  # noqa: E402
import rmtland  # noqa: E402

project = "rmtland"
author = "the rmtland authors"
copyright = "the rmtland authors"
release = rmtland.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "auto_examples/*.json"]
templates_path = []
html_theme = "alabaster"
html_static_path = []
html_theme_options = {"description": "Random-matrix theory of loss landscapes, runnable",
                      "fixed_sidebar": True}

# the API reference: one page per public module, from the package tree (docs/_apigen.py)
_apigen.write(os.path.join(HERE, "api", "generated"))
# the results schema page, from rmtland.experiments.schema (docs/_schemagen.py)
_schemagen.write()
autosummary_generate = False            # the pages are written above
autodoc_member_order = "bysource"
autodoc_default_options = {}
numpydoc_show_class_members = False     # members are documented by autodoc's :members:
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# the gallery: simulations/*.py, each run with --smoke into docs/_build/gallery-runs/<name>/;
# only the figure scripts run (freeness_scaling.py is shown, its run takes minutes)
sphinx_gallery_conf = {
    "examples_dirs": [os.path.join("..", "simulations")],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/fig_",
    "ignore_pattern": r"__init__\.py",
    "reset_argv": "_gallery.reset_argv",
    "image_scrapers": ("_gallery.scrape_outputs",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
}

# Plain text in docstrings, made valid reST without editing the sources: a bare "|x|" is
# escaped (reST reads it as a substitution) in every ``#:`` comment of module data (written as
# code comments, in plain text) and in every docstring of PLAIN_TEXT_MODULES; in those modules
# a section underline is also lengthened to its title, and a tab or vertical tab (a lost "\t"
# / "\v" of "\top", "\varphi" in a docstring) is restored.  Remove a module from the list
# once its docstrings build cleanly on their own.
PLAIN_TEXT_MODULES = ()
_LITERAL = re.compile(r"(``.*?``|:\w+:`[^`]*`|`[^`]*`)", re.S)


def _plain_text(app, what, name, obj, options, lines):
    listed = name.startswith(PLAIN_TEXT_MODULES)
    if not listed and what not in ("data", "attribute"):
        return
    doc = getattr(obj, "__doc__", None)
    if listed and what in ("module", "class", "function", "method") and \
            isinstance(doc, str) and ("\t" in doc or "\v" in doc):
        lines[:] = prepare_docstring(doc.replace("\t", "\\t").replace("\v", "\\v"))
    parts = _LITERAL.split("\n".join(lines))
    parts[::2] = [re.sub(r"(?<!\\)\|", r"\\|", p) for p in parts[::2]]
    lines[:] = "".join(parts).split("\n")
    for i, line in enumerate(lines if listed else ()):
        title, rule = lines[i - 1].strip() if i else "", line.strip()
        if title and rule and set(rule) <= set("-=~") and len(rule) < len(title):
            lines[i] = line[:len(line) - len(line.lstrip())] + rule[0] * len(title)


def _canonical(target):
    """``rmtland.pkg.name`` (a re-export) -> the dotted name where ``name`` is documented
    (``__module__`` + ``__qualname__``), or None."""
    parts = target.split(".")
    if "__main__" in parts:                 # importing it would run the command line
        return None
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        return f"{module}.{qualname}" if module and qualname else None
    return None


def _reexported_reference(app, env, node, contnode):
    """Sphinx ``missing-reference``: a docstring's :func:`rmtland.sampling.sample_hessian`
    links to the entry of ``rmtland.sampling.hessian.sample_hessian``, and a target broken
    over two lines of a docstring (``rmtland.linalg.spectral. spectrum``) to its entry."""
    target = re.sub(r"\s+", "", node.get("reftarget", ""))
    if node.get("refdomain") != "py" or not target.startswith("rmtland."):
        return None
    canonical = _canonical(target)
    if canonical is None or canonical == node["reftarget"]:
        return None
    return env.get_domain("py").resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                                             canonical, node, contnode)


def setup(app):
    app.connect("missing-reference", _reexported_reference)
    app.connect("autodoc-process-docstring", _plain_text, priority=100)   # before numpydoc
    app.connect("source-read", _gallery.hide_build_paths)
