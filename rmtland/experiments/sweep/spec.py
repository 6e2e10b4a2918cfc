"""Sweep specs: a TOML grid over one kind, checked and expanded into its points
(:func:`parse_spec`) before any point runs (the format: :mod:`rmtland.experiments.sweep`)."""
import math
import numbers
import os
import re
from dataclasses import dataclass

import numpy as np

from ... import _validate
from ..._validate import InputError
from .kinds import KINDS
from .seeds import canonical, point_key, point_seed, sha256
from .writers import FORMATS

__all__ = ["Point", "Sweep", "load_spec", "parse_spec", "toml_module", "DEVICES",
           "MAX_POINTS"]

DEVICES = ("cpu", "gpu", "auto")
#: the most points one sweep expands (its grid size x replicates), refused above before any
#: point is made: a point costs ~0.1 ms and ~0.3 kB to expand and check, one file to record
MAX_POINTS = 100_000
_TOP_KEYS = ("kind", "seed", "seeds", "device", "grid", "output", "description")
_FORMS = ("range", "linspace", "logspace")


@dataclass(frozen=True)
class Point:
    """One point: its file key, parameters (validated, defaults filled), replicate and seed."""
    key: str
    params: dict
    replicate: int
    seed: int


@dataclass(frozen=True)
class Sweep:
    """A parsed spec: ``kind``, ``seed``, ``replicates``, ``device`` (or None), ``points`` in
    grid order, ``table`` (file stem), ``formats``, ``spec_hash`` and ``source``."""
    kind: str
    seed: int
    replicates: tuple
    device: object
    points: tuple
    table: str
    formats: tuple
    spec_hash: str
    source: str


def toml_module():
    """The TOML parser: :mod:`tomllib` (Python >= 3.11), else ``tomli`` (the same parser, a
    dependency on Python 3.10)."""
    try:
        import tomllib
    except ModuleNotFoundError:
        import tomli as tomllib
    return tomllib


def load_spec(path):
    """The TOML spec at ``path`` as a dict (:class:`InputError` when missing or not TOML)."""
    tomllib = toml_module()
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(f"spec {path!r} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"spec {path!r} is a directory, not a TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"spec {path!r} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"spec {path!r} is not valid TOML: {exc}") from None


def _axis_values(name, value):
    """The values of one grid axis: a list, a range form, or a scalar (one value)."""
    where = f"grid.{name}"
    if isinstance(value, list):
        _check_count(where, len(value))
        return list(value)
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in _FORMS:
            raise InputError(f"{where} must be a list, a scalar or one of "
                             f"{{range|linspace|logspace = [start, stop, step|num]}}, "
                             f"got {value!r}")
        form, args = next(iter(value.items()))
        if not (isinstance(args, list) and len(args) == 3 and all(
                isinstance(a, numbers.Real) and not isinstance(a, bool) and math.isfinite(a)
                for a in args)):
            raise InputError(f"{where}.{form} must be [start, stop, "
                             f"{'step' if form == 'range' else 'num'}] (three finite numbers),"
                             f" got {args!r}")
        start, stop, third = args
        if form == "range":
            if third == 0:
                raise InputError(f"{where}.range step must be non-zero, got 0")
            if all(isinstance(a, int) for a in args):
                _check_count(where, len(range(start, stop, third)))
                return list(range(start, stop, third))
            count = max(0, math.ceil((stop - start) / third - 1e-9))
            _check_count(where, count)
            return [start + i * third for i in range(count)]
        num = _check_count(where, _validate.integer(f"{where}.{form} num", third, 0))
        if form == "linspace":
            return np.linspace(start, stop, num).tolist()
        if start <= 0 or stop <= 0:
            raise InputError(f"{where}.logspace start and stop must be > 0, got {args!r}")
        return np.geomspace(start, stop, num).tolist()
    return [value]


def _check_count(where, count):
    """``count`` values of one axis, or the refusal when that alone exceeds
    :data:`MAX_POINTS` (checked before the values are made)."""
    if count > MAX_POINTS:
        raise InputError(f"{where} has {count} values: a sweep has at most {MAX_POINTS} "
                         "points (split the grid into several sweeps)")
    return count


def _axes(grid):
    """``[(names, [tuple of values, ...]), ...]``: one axis per grid key, one per zip group."""
    if not isinstance(grid, dict) or not grid:
        raise InputError("grid must be a table with at least one parameter ([grid] with "
                         "name = values); the grid is empty")
    axes = []
    for name, value in grid.items():
        if name == "zip":
            groups = value if isinstance(value, list) else [value]
            for g, group in enumerate(groups):
                if not isinstance(group, dict) or not group:
                    raise InputError(f"grid.zip[{g}] must be a table of name = [values], "
                                     f"got {group!r}")
                cols = {k: _axis_values(k, v) for k, v in group.items()}
                lengths = {k: len(v) for k, v in cols.items()}
                if len(set(lengths.values())) != 1:
                    raise InputError(f"grid.zip[{g}] lists must have one length, got {lengths}")
                axes.append((tuple(cols), list(zip(*cols.values()))))
        else:
            axes.append(((name,), [(v,) for v in _axis_values(name, value)]))
    for names, values in axes:
        if not values:
            raise InputError(f"grid.{'/'.join(names)} is empty: the grid has no points")
    seen = [n for names, _ in axes for n in names]
    twice = sorted({n for n in seen if seen.count(n) > 1})
    if twice:
        raise InputError(f"grid.{twice[0]} is given twice (an axis and a zip, or two zips)")
    return axes


def _replicates(seeds):
    if isinstance(seeds, list):
        if not seeds:
            raise InputError("seeds must be a count >= 1 or a non-empty list of integers >= 0,"
                             " got []: the grid has no points")
        ids = [_validate.integer("seeds", s, 0) for s in seeds]
        if len(set(ids)) != len(ids):
            raise InputError(f"seeds must not repeat an id, got {seeds!r}")
        return tuple(ids)
    count = _validate.integer("seeds", seeds, 1)
    if count > MAX_POINTS:
        raise InputError(f"seeds = {count} replicates: a sweep has at most {MAX_POINTS} "
                         "points")
    return tuple(range(count))


def parse_spec(spec, source="spec"):
    """Check a spec (a dict from :func:`load_spec`) and expand its grid: a :class:`Sweep`.

    Raises :class:`InputError` with one line naming the key: an unknown top-level key, an
    unknown kind or parameter, a missing parameter, a value a validator of the kind refuses
    (every point is checked), an empty grid, bad seeds or output options.
    """
    if not isinstance(spec, dict):
        raise InputError(f"{source}: a spec must be a table, got {type(spec).__name__}")
    try:
        return _parse(spec, source)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None


def _parse(spec, source):
    unknown = [k for k in spec if k not in _TOP_KEYS]
    if unknown:
        raise InputError(f"{unknown[0]}: unknown key (a spec has {', '.join(_TOP_KEYS)})")
    if "kind" not in spec:
        raise InputError(f"kind: missing (one of {sorted(KINDS)})")
    if spec["kind"] not in KINDS:
        raise InputError(f"kind: unknown kind {spec['kind']!r} (one of {sorted(KINDS)})")
    kind = KINDS[spec["kind"]]
    seed = _validate.integer("seed", spec.get("seed", 0), 0)
    replicates = _replicates(spec.get("seeds", 1))
    device = spec.get("device")
    if device is not None and device not in DEVICES:
        raise InputError(f"device must be one of {list(DEVICES)}, got {device!r}")
    axes = _axes(spec.get("grid"))
    size = math.prod(len(values) for _, values in axes) * len(replicates)
    if size > MAX_POINTS:                      # before the points are made
        lengths = " x ".join(str(len(values)) for _, values in axes)
        raise InputError(f"grid: {lengths} values x {len(replicates)} seeds = {size} points;"
                         f" a sweep has at most {MAX_POINTS} points (split the grid into "
                         "several sweeps)")
    names = [n for ns, _ in axes for n in ns]
    for n in names:
        if n not in kind.params:
            raise InputError(f"grid.{n}: unknown parameter of kind {kind.name!r} (parameters:"
                             f" {', '.join(kind.params)})")
    missing = [n for n in kind.params if n not in names and n not in kind.defaults]
    if missing:
        required = ", ".join(p for p in kind.params if p not in kind.defaults)
        raise InputError(f"grid.{missing[0]}: kind {kind.name!r} needs parameter "
                         f"{missing[0]!r} (required: {required})")
    checked = {}                               # (name, value) -> validated value, once each
    for ns, values in axes:
        for row in values:
            for n, v in zip(ns, row):
                if (n, _vkey(v)) not in checked:
                    try:
                        checked[n, _vkey(v)] = kind.params[n](v)
                    except InputError as exc:
                        raise InputError(f"grid.{n}: {exc}") from None
                    except (TypeError, ValueError) as exc:
                        raise InputError(f"grid.{n}: {n} = {v!r} refused: {exc}") from None
    defaults = {n: kind.params[n](v) for n, v in kind.defaults.items() if n not in names}
    points = []
    for combo in _product([values for _, values in axes]):
        params = dict(defaults)
        for ns, row in zip([ns for ns, _ in axes], combo):
            for n, v in zip(ns, row):
                params[n] = checked[n, _vkey(v)]
        params = {n: params[n] for n in kind.params}        # the kind's order
        if kind.check is not None:
            try:
                kind.check(**params)
            except InputError as exc:
                raise InputError(f"grid point {canonical(params)}: {exc}") from None
        for r in replicates:
            s = point_seed(seed, kind.name, params, r)
            points.append(Point(point_key(kind.name, params, s), params, r, s))
    out = spec.get("output", {})
    if not isinstance(out, dict) or set(out) - {"table", "formats"}:
        raise InputError(f"output: unknown keys {sorted(set(out) - {'table', 'formats'})} "
                         "(output has table, formats)" if isinstance(out, dict) else
                         f"output must be a table, got {out!r}")
    table = out.get("table", "table")
    if not isinstance(table, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", table) or \
            table.startswith("."):
        raise InputError(f"output.table must be a plain file name stem, got {table!r}")
    formats = out.get("formats", [f for f in FORMATS if f != "parquet" or _has_pyarrow()])
    if not isinstance(formats, list) or not formats or any(f not in FORMATS for f in formats):
        raise InputError(f"output.formats must be a non-empty list of {list(FORMATS)}, "
                         f"got {formats!r}")
    if "parquet" in formats and not _has_pyarrow():
        raise InputError("output.formats: parquet needs pyarrow, which is not installed")
    spec_hash = sha256({k: spec[k] for k in ("kind", "seed", "seeds", "grid") if k in spec})
    return Sweep(kind.name, seed, replicates, device, tuple(points), table, tuple(formats),
                 spec_hash, source)


def _vkey(v):
    """A hashable key of a raw grid value (NaN, datetimes and lists included)."""
    return type(v).__name__, repr(v)


def _product(axes):
    """Cartesian product, the first axis slowest (itertools.product's order)."""
    import itertools
    return itertools.product(*axes)


def _has_pyarrow():
    import importlib.util
    return importlib.util.find_spec("pyarrow") is not None
