"""Write the API reference pages (``docs/api/generated/<module>.rst``) from the package tree.

Every public module of :mod:`rmtland` (no component of its dotted name starts with ``_``) gets a
page; every name in its ``__all__`` is documented there (``autofunction`` / ``autoclass`` /
``autodata``), unless it is re-exported from another documented module, where it is linked to
its one full entry.  New modules are picked up without editing this file.
"""
import importlib
import inspect
import os
import pkgutil
import sys
import types

SKIP = set()        # dotted module names left out of the reference (none)


def public_modules(package="rmtland"):
    """Dotted names of the public modules of ``package``, the package itself first."""
    root = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if not any(part.startswith("_") for part in info.name.split(".")) \
                and info.name not in SKIP:
            names.append(info.name)
    return sorted(names)


def exported(module):
    """The module's ``__all__`` (an empty list without one)."""
    return list(getattr(module, "__all__", []))


def home(modname, name, modules):
    """The module whose page documents ``modname.name`` in full: ``modname`` itself, unless
    the object is a module, or is defined in (or exported by a submodule of) another
    documented module that lists it in its ``__all__``."""
    module = importlib.import_module(modname)
    obj = getattr(module, name)
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    defined = getattr(obj, "__module__", None)
    if defined != modname and defined in modules and \
            name in exported(importlib.import_module(defined)):
        return defined
    if hasattr(module, "__path__"):                  # a package: look in its submodules
        for sub in modules:
            if sub.startswith(modname + ".") and sub.count(".") == modname.count(".") + 1:
                submodule = importlib.import_module(sub)
                if name in exported(submodule) and getattr(submodule, name, None) is obj:
                    return home(sub, name, modules)
    return modname


def attr_doc(modname, name):
    """The ``#:`` comment above ``name = ...`` in module ``modname`` (a list of lines)."""
    from sphinx.pycode import ModuleAnalyzer, PycodeError
    try:
        return list(ModuleAnalyzer.for_module(modname).find_attr_docs().get(("", name), []))
    except PycodeError:
        return []


def data_doc(module, name):
    """The ``#:`` comment of a datum, also when a package re-exports it from a private module
    (where autodoc does not look): returned as directive content, or ``[]``."""
    if attr_doc(module.__name__, name) or not hasattr(module, "__path__"):
        return []
    obj = getattr(module, name)
    for info in pkgutil.iter_modules(module.__path__, module.__name__ + "."):
        sub = sys.modules.get(info.name)          # imported by the package (never __main__)
        if sub is not None and info.name.rsplit(".", 1)[1].startswith("_"):
            if getattr(sub, name, None) is obj and attr_doc(info.name, name):
                return [""] + ["   " + line for line in attr_doc(info.name, name) if line]
    return []


def directive(module, name):
    obj = getattr(module, name)
    full = f"{module.__name__}.{name}"
    if inspect.isclass(obj):
        return [f".. autoclass:: {full}", "   :members:", "   :show-inheritance:"]
    if callable(obj):
        return [f".. autofunction:: {full}"]
    return [f".. autodata:: {full}", "   :no-value:"] + data_doc(module, name)


def page(modname, modules):
    module = importlib.import_module(modname)
    lines = [f"``{modname}``", "=" * (len(modname) + 4), "",
             f".. automodule:: {modname}", "   :no-members:", ""]
    names = exported(module)
    own = [n for n in names if home(modname, n, modules) == modname]
    links = [n for n in names if n not in own]
    subs = [m for m in modules if m.startswith(modname + ".")
            and m.count(".") == modname.count(".") + 1]
    if subs:
        lines += ["Modules", "-------", "", ".. toctree::", "   :maxdepth: 1", ""]
        lines += [f"   {m}" for m in subs] + [""]
    if links:
        lines += ["Re-exported names", "-----------------", ""]
        for n in links:
            target = home(modname, n, modules)
            role = "mod" if target == getattr(getattr(module, n), "__name__", None) else "obj"
            ref = target if role == "mod" else f"{target}.{n}"
            lines.append(f"- ``{n}``: :{role}:`{ref}`")
        lines.append("")
    if own:
        lines += ["Summary", "-------", "", ".. autosummary::", ""]
        lines += [f"   {n}" for n in own] + [""]
        lines += ["Reference", "---------", ""]
        for n in own:
            lines += directive(module, n) + [""]
    return "\n".join(lines)


def write(outdir):
    """Write one page per public module into ``outdir``; returns the module names.  A page is
    rewritten only when its text changed, so Sphinx rebuilds only what changed."""
    os.makedirs(outdir, exist_ok=True)
    modules = public_modules()
    for stale in set(os.listdir(outdir)) - {m + ".rst" for m in modules}:
        if stale.endswith(".rst"):                  # a module that was removed or renamed
            os.remove(os.path.join(outdir, stale))
    for modname in modules:
        path = os.path.join(outdir, modname + ".rst")
        text = page(modname, modules)
        try:
            with open(path, encoding="utf-8") as fh:
                if fh.read() == text:
                    continue
        except FileNotFoundError:
            pass
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    return modules
