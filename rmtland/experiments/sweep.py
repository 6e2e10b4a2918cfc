r"""Parameter sweeps: a declarative grid (TOML) over one ``simulate`` kind, run in this process
or on Dask (``dask.distributed``), resumable, fault-tolerant and seed-deterministic.

A spec (``rmtland sweep SPEC.toml --out DIR``)::

    kind = "hessian"              # a registered kind (KINDS): hessian, spinglass, network, ...
    seed = 0                      # the sweep's seed (int >= 0; default 0)
    seeds = 2                     # replicates per grid point: a count, or a list of ids
    device = "cpu"                # optional; --device overrides

    [grid]                        # one axis per key, the Cartesian product of the axes
    phi = [0.25, 0.5]             # a list
    eps = { logspace = [1e-3, 0.5, 6] }    # geometric, both ends included
    n = 120                       # a scalar: held fixed
    samples = { range = [4, 12, 4] }       # start, stop (excluded), step, as Python's range
    # also { linspace = [start, stop, num] } (both ends included)

    [[grid.zip]]                  # parameters varied together (one axis; equal lengths)
    N = [12, 16]
    starts = [16, 12]

    [output]                      # optional
    table = "table"               # DIR/table.csv, DIR/table.jsonl (and DIR/table.parquet)
    formats = ["csv", "jsonl"]    # default: csv, jsonl, and parquet when pyarrow imports

Parameters the grid leaves out take the kind's defaults.  Every point's parameters are
checked by the kind's own validators, and each point by the kind's ``check`` (its size and
memory estimate), before any point runs (bad input: :class:`InputError` naming the key).  A
sweep has at most :data:`MAX_POINTS` points (grid size x replicates), counted from the
axis lengths before any point is made.

Seeds.  Point ``(params, replicate)`` draws from :func:`point_seed`: the ``SeedSequence`` of
the sweep's seed with spawn key ``(w0, w1, w2, w3, replicate)``, ``w`` the first four 32-bit
words of the SHA-256 of the point's canonical JSON (kind and parameters), reduced to one
64-bit integer.  So a point's numbers depend on nothing but the sweep seed, the kind and the
point: not on the runner, the number of workers or the order of completion; and the row's
``seed`` reruns the point alone (``rmtland simulate hessian ... --seed SEED``).

Files.  ``DIR/points/<key>.json`` for each point, written atomically by the process that
submitted the sweep as the point finishes (``key``: SHA-256 of kind, parameters and seed);
a rerun skips the points already ``done`` there (a failed point is retried).  Kinds that
write files get ``DIR/points/<key>/`` of their own.  Then the merged table (one row per
point, in grid order) in each format, each writer on its own (one that fails is recorded in
``table_errors``; the others are written), and ``DIR/result.json`` (spec hash, versions,
counts).  Parquet columns have an explicit type (:func:`arrow_field`): the seeds uint64.

Runners: in this process (``workers=0``, or when ``dask.distributed`` is missing, with a
one-line note naming the ``dist`` extra), a :class:`distributed.LocalCluster` of ``workers``
processes (default: one per CPU), an existing cluster (``scheduler="tcp://host:8786"``,
checked to answer before any point runs), or, for ``device="gpu"``/``"auto"`` with
``dask-cuda`` installed and GPUs present, a ``dask_cuda.LocalCUDACluster`` with one worker per
GPU (each worker sees only its GPU, so ``device="gpu"`` is that GPU), at most
:data:`WORKERS_PER_CPU` workers per CPU (or one per GPU).  Dask reruns the points of a
worker that dies (``distributed.scheduler.allowed-failures``); a point that raises is
recorded with its error, and the sweep goes on.  Ctrl-C reaches only the submitting
process (the local workers start with SIGINT blocked), which cancels the points in flight
and closes the cluster quietly; the finished points stay in ``DIR/points``.

References
----------
M. Rocklin, "Dask: Parallel Computation with Blocked algorithms and Task Scheduling",
Proc. SciPy 2015, doi:10.25080/Majora-7b98e3ed-013.
M. E. O'Neill et al., NumPy ``SeedSequence`` (NEP 19): spawn keys give independent streams.
"""
import contextlib
import csv
import hashlib
import io
import json
import logging
import math
import numbers
import os
import re
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from .. import _seeds, _validate
from .._backend import get_xp
from .._io import check_output_dir, write_binary, write_json
from .._progress import Progress
from .._validate import InputError
from .._version import __version__
from . import _run
from ..compare.networks import NULL_DRAWS, REFERENCE_SAMPLES
from .hessian import simulate_hessian
from .networks import ACTIVATIONS, DATA, MAX_FREENESS, simulate_network
from .spinglass import simulate_spinglass

__all__ = ["KINDS", "Kind", "register_kind", "load_spec", "parse_spec", "point_seed",
           "run_sweep", "compute_point", "connect", "check_workers", "closing_quietly",
           "write_tables", "read_table", "arrow_field", "DEVICES", "CONNECT_TIMEOUT",
           "DIST_NOTE", "MAX_POINTS", "WORKERS_PER_CPU"]

DEVICES = ("cpu", "gpu", "auto")
#: seconds an existing scheduler (``scheduler=``) has to answer before the sweep is refused
CONNECT_TIMEOUT = 10.0
#: the note printed when dask.distributed is missing
DIST_NOTE = ("rmtland: note: dask.distributed is not installed (pip install 'rmtland[dist]'); "
             "running the points one by one in this process")
#: table formats
FORMATS = ("csv", "jsonl", "parquet")
#: columns every row starts with (then the kind's parameters, then the result fields)
LEAD = ("point", "kind", "replicate", "seed")
TAIL = ("device", "status", "error", "seconds")
#: the most points one sweep expands (its grid size x replicates), refused above before any
#: point is made: a point costs ~0.1 ms and ~0.3 kB to expand and check, one file to record
MAX_POINTS = 100_000
#: the most local Dask worker processes per CPU (``workers=``; one per GPU with dask-cuda)
WORKERS_PER_CPU = 4
_TOP_KEYS = ("kind", "seed", "seeds", "device", "grid", "output", "description")
_FORMS = ("range", "linspace", "logspace")


# -- kinds -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    """A ``simulate`` kind a sweep can run.

    ``run(seed=int, device=str, **params)`` (and ``out=`` a directory of its own when
    ``files``) computes one point and returns a flat dict of JSON-safe result fields (a
    ``"device"`` field, when present, is the device used).  ``params`` maps each parameter to
    its validator ``check(value) -> value`` (raises :class:`InputError` naming it);
    ``defaults`` holds the optional ones; ``check`` (optional) validates a whole point's
    parameters (e.g. a relation between two), after the per-parameter validators.
    """
    name: str
    run: object
    params: dict
    defaults: dict = field(default_factory=dict)
    check: object = None
    files: bool = False


#: kind name -> :class:`Kind`; built-in kinds are registered at the end of this module, other
#: modules call :func:`register_kind` (``rmtland.experiments`` imports them all)
KINDS = {}


def register_kind(name, run, params, defaults=None, *, check=None, files=False):
    """Add a kind to :data:`KINDS` (see :class:`Kind`); returns it."""
    defaults = dict(defaults or {})
    unknown = set(defaults) - set(params)
    if unknown:
        raise InputError(f"defaults of kind {name!r} name unknown parameters {sorted(unknown)}")
    KINDS[name] = Kind(name, run, dict(params), defaults, check, files)
    return KINDS[name]


def integer(name, minimum, maximum=None):
    """Validator: an integer ``>= minimum`` (and ``<= maximum``)."""
    def check(value):
        value = _validate.integer(name, value, minimum)
        if maximum is not None and value > maximum:
            raise InputError(f"{name} must be an integer in [{minimum}, {maximum}], "
                             f"got {value!r}")
        return value
    return check


def choice(name, options):
    """Validator: one of ``options``."""
    def check(value):
        if value not in options or isinstance(value, bool) != isinstance(options[0], bool):
            raise InputError(f"{name} must be one of {list(options)}, got {value!r}")
        return value
    return check


def boolean(name):
    """Validator: true or false."""
    def check(value):
        if not isinstance(value, (bool, np.bool_)):
            raise InputError(f"{name} must be true or false, got {value!r}")
        return bool(value)
    return check


def real(check, name, *args):
    """Validator from a :mod:`rmtland._validate` check (positive, nonnegative, finite)."""
    return lambda value: check(name, value, *args)


def scalar_fields(result, exclude=()):
    """The JSON scalars (numbers, strings, booleans, None) of a ``simulate`` result, less
    ``exclude`` and ``seed``/``seconds``/``files`` (the sweep records its own)."""
    drop = set(exclude) | {"seed", "seconds", "files"}
    return {k: v for k, v in result.items() if k not in drop and
            (v is None or isinstance(v, (bool, numbers.Real, str)))}


# -- the spec --------------------------------------------------------------------------------
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


def _canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _sha256(obj):
    return hashlib.sha256(_canonical(obj).encode()).hexdigest()


def point_seed(sweep_seed, kind, params, replicate):
    r"""The 64-bit seed of one point: ``SeedSequence(sweep_seed)`` spawned along the key
    ``(w0, w1, w2, w3, replicate)`` (:func:`rmtland._seeds.child`, one level per word), with
    ``w0..w3`` the first four big-endian 32-bit words of
    ``sha256(canonical JSON {"kind": kind, "params": params})``, reduced to an int by
    :func:`rmtland._seeds.key_of` (``(k1 << 32) | k0``)."""
    digest = hashlib.sha256(_canonical({"kind": kind, "params": params}).encode()).digest()
    ss = _seeds.seed_sequence(_validate.integer("seed", sweep_seed, 0))
    for w in [int.from_bytes(digest[4 * i:4 * i + 4], "big") for i in range(4)] + [replicate]:
        ss = _seeds.child(ss, w)
    k0, k1 = _seeds.key_of(ss)
    return (k1 << 32) | k0


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
                raise InputError(f"grid point {_canonical(params)}: {exc}") from None
        for r in replicates:
            s = point_seed(seed, kind.name, params, r)
            points.append(Point(_sha256({"kind": kind.name, "params": params, "seed": s})[:24],
                                params, r, s))
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
    spec_hash = _sha256({k: spec[k] for k in ("kind", "seed", "seeds", "grid") if k in spec})
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


# -- one point -------------------------------------------------------------------------------
def compute_point(run, params, seed, device, out=None):
    """Run one point (in a worker, or here): ``{"status": "done" | "failed", "error",
    "seconds", **result fields}``.  An exception of the point is caught and recorded; so is a
    result that is not JSON-safe (NaN included)."""
    t0 = time.perf_counter()
    try:
        extra = {} if out is None else {"out": out}
        fields = dict(run(seed=seed, device=device, **extra, **params))
        json.dumps(fields, allow_nan=False)
        status, error = "done", None
    except Exception as exc:              # noqa: BLE001 -- recorded; the sweep goes on
        fields, status, error = {}, "failed", f"{type(exc).__name__}: {exc}"
    return {**fields, "status": status, "error": error,
            "seconds": round(time.perf_counter() - t0, 6)}


def _row(sweep, point, device, result):
    kind = KINDS[sweep.kind]
    fields = {k: v for k, v in result.items() if k not in TAIL and k not in LEAD
              and k not in kind.params}
    return {"point": point.key, "kind": sweep.kind, "replicate": point.replicate,
            "seed": point.seed, **point.params, "device": result.get("device", device),
            "status": result["status"], "error": result["error"],
            "seconds": result["seconds"], **fields}


# -- runners ---------------------------------------------------------------------------------
def _has_dask():
    import importlib.util
    return importlib.util.find_spec("distributed") is not None


def connect(address, timeout=None, name="scheduler"):
    """A ``distributed.Client`` of the scheduler at ``address``, or :class:`InputError` naming
    ``name`` (the CLI says ``--scheduler``), the address and the timeout when no Dask
    scheduler answers there within ``timeout`` seconds (:data:`CONNECT_TIMEOUT`).

    Probed before a ``Client`` is made (a Client that fails to start leaves a traceback
    behind when it is collected): a TCP connection (a closed port is refused at once), then a
    Dask ``identity`` request on its own connection, which must come back from a scheduler.
    """
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    if not isinstance(address, str) or not re.fullmatch(r"[a-z][a-z0-9+]*://\S+", address):
        raise InputError(f"{name} {address!r} is not an address like tcp://host:8786")
    if not _has_dask():
        raise InputError(f"{name} {address!r}: dask.distributed is not installed (pip "
                         "install 'rmtland[dist]')")
    where = f"{name} {address!r}: no Dask scheduler answers within {timeout:g} s"
    m = re.fullmatch(r"(tcp|tls)://\[?([^\]/]+?)\]?:(\d+)/?", address)
    if m:
        import socket
        try:
            socket.create_connection((m.group(2), int(m.group(3))), timeout=timeout).close()
        except OSError as exc:
            raise InputError(f"{where} ({_why(exc)})") from None
    try:
        _identity(address, timeout)
    except Exception as exc:              # noqa: BLE001 -- whatever answers, it is not Dask
        raise InputError(f"{where} ({_why(exc)})") from None
    from distributed import Client
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except Exception as exc:              # noqa: BLE001 -- it answered the probe, then not
        raise InputError(f"{where} ({_why(exc)})") from None


def _why(exc):
    """A short cause of a failed connection, for :func:`connect`'s message."""
    import asyncio                        # (its TimeoutError is not the builtin's on 3.10)
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)) or "Timed out" in str(exc):
        return "no reply"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    if isinstance(exc, _NotAScheduler):
        return str(exc)
    return "something answers there, but not in Dask's protocol"


class _NotAScheduler(Exception):
    pass


def _identity(address, timeout):
    """Ask ``address`` for its Dask identity (``{"op": "identity"}``) on a connection of its
    own, within ``timeout`` seconds, in an event loop of its own (in a helper thread, so
    that a running loop of the caller's is not disturbed); raises unless a scheduler
    replies."""
    import asyncio
    import concurrent.futures
    from distributed.comm import connect as comm_connect

    async def ask():
        comm = await comm_connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        reply = pool.submit(asyncio.run, asyncio.wait_for(ask(), timeout)).result()
    kind = reply.get("type") if isinstance(reply, dict) else type(reply).__name__
    if kind != "Scheduler":
        raise _NotAScheduler(f"a Dask {kind} answers, not a scheduler")


def check_workers(workers, device, name="workers"):
    """``workers`` (an int >= 0) for a local cluster on ``device``, or :class:`InputError`
    naming ``name`` and the range: at most one per GPU for a ``dask_cuda`` cluster (device
    "gpu"/"auto" with dask-cuda and a GPU), else :data:`WORKERS_PER_CPU` per CPU
    (``os.cpu_count()``).  Checked before anything starts."""
    workers = _validate.integer(name, workers, 0)
    gpus = _gpu_count() if device in ("gpu", "auto") and _dask_cuda() is not None else 0
    if gpus:
        top, why = gpus, f"one per GPU, {gpus} GPU(s) seen"
    else:
        cpus = os.cpu_count() or 1
        top, why = WORKERS_PER_CPU * cpus, f"{WORKERS_PER_CPU} per CPU, {cpus} CPU(s)"
    if workers > top:
        raise InputError(f"{name} must be an integer in [0, {top}] ({why}), got {workers}")
    return workers


def _sigint_here():
    """A context in which ``SIGINT`` is blocked in this (the main) thread: the threads and
    worker processes a cluster starts inside it inherit the block (POSIX threads and
    ``fork``/``exec`` keep the signal mask), so Ctrl-C reaches this process's main thread
    only, not every worker of the terminal's process group (each would print its own
    traceback).  A Ctrl-C while blocked is delivered as the context exits.  A no-op off
    the main thread or without ``pthread_sigmask`` (Windows)."""
    import signal
    import threading
    if not hasattr(signal, "pthread_sigmask") or \
            threading.current_thread() is not threading.main_thread():
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def blocked():
        # multiprocessing's resource tracker, when it first starts, unblocks SIGINT in the
        # thread that starts it (CPython 3.11: SIG_UNBLOCK, not the old mask): start it here
        from multiprocessing import resource_tracker
        resource_tracker.ensure_running()
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
    return blocked()


@contextlib.contextmanager
def closing_quietly(thing):
    """A context that closes ``thing`` (a Dask client or cluster) as it exits, with Dask's
    loggers (``distributed``, ``tornado``, ``asyncio``) above CRITICAL while it closes:
    closing a cluster whose workers are busy (after Ctrl-C) logs a screenful of warnings
    and errors about cancelled tasks and closed streams, none about the sweep's results."""
    try:
        yield thing
    finally:
        loggers = [logging.getLogger(n) for n in ("distributed", "tornado", "asyncio")]
        levels = [lg.level for lg in loggers]
        for lg in loggers:
            lg.setLevel(logging.CRITICAL + 1)
        try:
            thing.close()
        finally:
            for lg, level in zip(loggers, levels):
                lg.setLevel(level)


def _dask_cuda():
    """The ``dask_cuda`` module, or None when it does not import."""
    try:
        import dask_cuda
    except ImportError:
        return None
    return dask_cuda


def _gpu_count():
    try:
        import cupy
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:                     # noqa: BLE001 -- no CuPy, no driver
        return 0


def local_cluster(workers, device):
    """The cluster of a sweep without a scheduler: ``dask_cuda.LocalCUDACluster`` (one worker
    per GPU, at most ``workers``) for ``device`` "gpu"/"auto" when dask-cuda imports and a GPU
    is seen; else a ``distributed.LocalCluster`` of ``workers`` single-threaded processes
    (default: one per CPU).  Returns ``(cluster, description)``."""
    # the workers' logs at CRITICAL: a point's error is recorded in its row, a lost worker's
    # points as KilledWorker; the rest (heartbeats failing as the cluster closes after
    # Ctrl-C, closed streams) is noise on the terminal
    quiet = {"dashboard_address": ":0", "silence_logs": logging.CRITICAL}
    if device in ("gpu", "auto"):
        dask_cuda = _dask_cuda()
        gpus = _gpu_count() if dask_cuda is not None else 0
        if gpus:
            n = min(gpus, workers) if workers else gpus
            visible = ",".join(str(i) for i in range(n))
            return (dask_cuda.LocalCUDACluster(CUDA_VISIBLE_DEVICES=visible, **quiet),
                    {"runner": "dask_cuda.LocalCUDACluster", "workers": n})
    from distributed import LocalCluster
    n = workers or os.cpu_count() or 1
    return (LocalCluster(n_workers=n, threads_per_worker=1, processes=True, **quiet),
            {"runner": "distributed.LocalCluster", "workers": n})


class _Bar:
    """The progress line: points done / total, rate and ETA (:class:`rmtland._progress.
    Progress` with the rate and ETA in its label)."""

    def __init__(self, total, show):
        self.total, self.done, self.t0 = total, 0, time.perf_counter()
        self.bar = Progress(total, "sweep") if show and total else None

    def step(self):
        self.done += 1
        if self.bar is not None:
            dt = time.perf_counter() - self.t0
            rate = self.done / dt if dt > 0 else float("inf")
            eta = (self.total - self.done) / rate if rate > 0 else 0.0
            self.bar.label = f"sweep {rate:.3g} points/s, ETA {eta:.0f} s"
            self.bar(self.done)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _serial(todo, run, device, point_dir):
    for p in todo:
        yield p, compute_point(run, p.params, p.seed, device, point_dir(p))


def _dask(client, todo, run, device, point_dir):
    from distributed import as_completed
    by_key = {}
    futures = []
    for p in todo:
        f = client.submit(compute_point, run, p.params, p.seed, device, point_dir(p),
                          key=f"rmtland-point-{p.key}")
        by_key[f.key] = p
        futures.append(f)
    try:
        for f in as_completed(futures, loop=client.loop):
            p = by_key[f.key]
            try:
                result = f.result()
            except Exception as exc:      # noqa: BLE001 -- e.g. KilledWorker: recorded
                result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                          "seconds": None}
            f.release()
            yield p, result
    finally:
        client.cancel([f for f in futures if not f.done()])


def _read_done(path):
    try:
        with open(path) as fh:
            row = json.load(fh)
    except (OSError, ValueError):
        return None
    return row if row.get("status") == "done" else None


def run_sweep(spec, out, *, workers=None, scheduler=None, device=None, client=None,
              progress=True, on_result=None, connect_timeout=None, note=None):
    r"""Run a sweep: every point of ``spec`` not already done in ``out``; then the merged
    table and ``out/result.json``.

    Parameters
    ----------
    spec : str, path, dict or Sweep
        A TOML file (:func:`load_spec`), its dict, or a parsed :class:`Sweep`.
    out : str or path
        Output directory (``points/``, the table, ``result.json``).
    workers : int >= 0, optional
        ``0``: in this process, one point after another, without Dask.  Otherwise the size
        of the local cluster (default: one worker per CPU; one per GPU with dask-cuda), at
        most :data:`WORKERS_PER_CPU` per CPU, or one per GPU (:func:`check_workers`).
        A local cluster's workers do not see Ctrl-C (it reaches this process only); on
        Ctrl-C the sweep cancels what runs, closes the cluster quietly and raises
        ``KeyboardInterrupt``, the finished points kept in ``out/points``.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``), checked before any
        point runs (:func:`connect`, within ``connect_timeout`` seconds, default
        :data:`CONNECT_TIMEOUT`).
    device : {"cpu", "gpu", "auto"}, optional
        Where the points run (default: the spec's, else "cpu").
    client : distributed.Client, optional
        An existing client to submit to (instead of ``scheduler``/``workers``).
    progress : bool
        The progress line on stderr (points done / total, rate, ETA).
    on_result : callable, optional
        ``on_result(row)`` after each point's file is written (a hook for tests and UIs).
    note : callable, optional
        Where the one-line note goes when Dask is missing (default: stderr).

    Returns
    -------
    dict
        The summary written to ``result.json``: ``total``, ``done``, ``failed``,
        ``skipped`` (found done, not rerun), ``computed``, ``seconds``, ``table`` (the first
        format's path that was written, None if none), ``tables`` ({format: path}),
        ``table_errors`` ({format: error} of the writers that failed: the others are
        written, and so is ``result.json``; the CLI then exits 1), ``runner``,
        ``spec_hash``, ``versions``... plus ``rows`` (every point's row, in grid order;
        not in the file).
    """
    t_start = time.perf_counter()
    if not isinstance(spec, Sweep):
        source = "spec"
        if not isinstance(spec, dict):
            source = os.fspath(spec)
            spec = load_spec(source)
        spec = parse_spec(spec, source)
    sweep = spec
    out = check_output_dir(out, "out")
    device = device if device is not None else (sweep.device or "cpu")
    if device not in DEVICES:
        raise InputError(f"device must be one of {list(DEVICES)}, got {device!r}")
    if workers is not None and client is None and scheduler is None:
        workers = check_workers(workers, device)
    kind = KINDS[sweep.kind]
    points_dir = os.path.join(out, "points")
    rows = {}
    for p in sweep.points:
        row = _read_done(os.path.join(points_dir, p.key + ".json"))
        if row is not None:
            rows[p.key] = row
    skipped = len(rows)
    todo = [p for p in sweep.points if p.key not in rows]

    def point_dir(p):
        return os.path.join(points_dir, p.key) if kind.files else None

    with contextlib.ExitStack() as stack:
        runner = {"runner": "in-process", "workers": 0}
        if client is not None:
            runner = {"runner": "distributed.Client", "address": client.scheduler.address}
        elif scheduler is not None:          # bad input: checked before any point runs
            client = connect(scheduler, connect_timeout)
            stack.enter_context(closing_quietly(client))
            runner = {"runner": "distributed.Client", "address": scheduler}
        elif workers != 0 and not _has_dask():
            (note or (lambda s: print(s, file=sys.stderr)))(DIST_NOTE)
        if device == "gpu" and scheduler is None and client is None:
            get_xp("gpu")                    # a missing GPU fails here (exit 3), before work
        os.makedirs(points_dir, exist_ok=True)
        if todo and client is None and workers != 0 and _has_dask():
            from distributed import Client
            with _sigint_here():             # Ctrl-C: to this thread only (see there)
                cluster, runner = local_cluster(workers, device)
                stack.enter_context(closing_quietly(cluster))
                client = Client(cluster, set_as_default=False)
                stack.enter_context(closing_quietly(client))
        results = (_dask(client, todo, kind.run, device, point_dir) if client is not None
                   else _serial(todo, kind.run, device, point_dir))
        bar = _Bar(len(todo), progress)
        try:
            for p, result in results:
                row = _row(sweep, p, device, result)
                write_json(os.path.join(points_dir, p.key + ".json"), row)
                rows[p.key] = row
                bar.step()
                if on_result is not None:
                    on_result(row)
        finally:
            bar.close()
            results.close()
    ordered = [rows[p.key] for p in sweep.points]
    tables, table_errors = write_tables(ordered, out, sweep)
    done = sum(r["status"] == "done" for r in ordered)
    summary = {
        "spec": sweep.source, "spec_hash": sweep.spec_hash, "kind": sweep.kind,
        "seed": sweep.seed, "replicates": list(sweep.replicates), "device": device,
        **runner, "total": len(ordered), "done": done, "failed": len(ordered) - done,
        "skipped": skipped, "computed": len(todo),
        "seconds": round(time.perf_counter() - t_start, 3),
        "table": next((tables[f] for f in sweep.formats if f in tables), None),
        "tables": tables, "table_errors": table_errors,
        "failures": [{"point": r["point"], "error": r["error"]} for r in ordered
                     if r["status"] != "done"][:50],
        "rmtland_version": __version__, "versions": versions(),
    }
    write_json(os.path.join(out, "result.json"), summary)
    return {**summary, "rows": ordered}


def versions():
    """:func:`rmtland.experiments._run.versions` plus dask and distributed when installed."""
    v = _run.versions()
    for name in ("dask", "distributed", "dask_cuda"):
        mod = sys.modules.get(name)
        if mod is None and name != "dask_cuda":
            try:
                mod = __import__(name)
            except ImportError:
                mod = None
        if mod is not None:
            v[name] = getattr(mod, "__version__", "unknown")
    return v


def columns(rows, kind):
    """Table columns: :data:`LEAD`, the kind's parameters, :data:`TAIL`, then every result
    field in the order first seen."""
    cols = list(LEAD) + list(KINDS[kind].params) + list(TAIL)
    seen = set(cols)
    for r in rows:
        for k in r:
            if k not in seen:
                seen.add(k)
                cols.append(k)
    return cols


def write_tables(rows, out, sweep):
    """The merged table in each format of the sweep, each written atomically and on its own:
    ``({format: path}, {format: error})``.  A writer that fails (e.g. a broken pyarrow)
    leaves no file of its format and is recorded in ``errors``; the other formats are
    written all the same."""
    cols = columns(rows, sweep.kind)
    writers = {"csv": _csv_bytes, "jsonl": _jsonl_bytes, "parquet": _parquet_bytes}
    paths, errors = {}, {}
    for fmt in sweep.formats:
        path = os.path.join(out, f"{sweep.table}.{fmt}")
        try:
            data = writers[fmt](rows, cols)
            write_binary(path, lambda fh, d=data: fh.write(d))
        except Exception as exc:          # noqa: BLE001 -- recorded; the other tables go on
            errors[fmt] = f"{type(exc).__name__}: {exc}"
            continue
        paths[fmt] = path
    return paths, errors


def _csv_bytes(rows, cols):
    """CSV: None as the empty cell, lists and dicts as JSON text, the rest as ``str`` (floats
    by ``repr``, so they read back exactly; booleans as True/False)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow(["" if r.get(c) is None else
                    json.dumps(r[c]) if isinstance(r[c], (list, dict)) else r[c]
                    for c in cols])
    return buf.getvalue().encode()


def _jsonl_bytes(rows, cols):
    return "".join(json.dumps({c: r.get(c) for c in cols}, allow_nan=False) + "\n"
                   for r in rows).encode()


#: field metadata of a Parquet column whose cells are JSON text (lists, dicts, mixed types)
JSON_COLUMN = {b"rmtland.encoding": b"json"}


def arrow_field(name, values):
    """The Arrow field of one table column, from its values (None is a null cell).

    ``seed``: uint64 (point seeds are unsigned 64-bit, about half >= 2**63).  Otherwise, over
    the non-null values: all booleans -> bool; all integers -> int64, else uint64 when they
    fit it; all real numbers -> float64 when each integer among them is exactly a double;
    all strings -> string; none at all -> string (all null).  Anything else (lists, dicts,
    integers beyond 64 bits, mixed kinds) -> a string column of JSON text, marked by
    :data:`JSON_COLUMN` in the field's metadata."""
    import pyarrow as pa
    present = [v for v in values if v is not None]
    if name == "seed":
        return pa.field(name, pa.uint64())
    if all(isinstance(v, (bool, np.bool_)) for v in present):
        return pa.field(name, pa.bool_() if present else pa.string())
    if not any(isinstance(v, (bool, np.bool_)) for v in present):
        if all(isinstance(v, numbers.Integral) for v in present):
            if all(-2**63 <= v < 2**63 for v in present):
                return pa.field(name, pa.int64())
            if all(0 <= v < 2**64 for v in present):
                return pa.field(name, pa.uint64())
        elif all(isinstance(v, numbers.Real) for v in present) and all(
                _is_double(v) for v in present if isinstance(v, numbers.Integral)):
            return pa.field(name, pa.float64())
        if all(isinstance(v, str) for v in present):
            return pa.field(name, pa.string())
    return pa.field(name, pa.string(), metadata=JSON_COLUMN)


def _is_double(i):
    """Whether the integer ``i`` is exactly a double."""
    try:
        return float(i) == i
    except OverflowError:
        return False


def _parquet_bytes(rows, cols):
    """Parquet with an explicit schema (:func:`arrow_field` per column)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    arrays, fields = [], []
    for c in cols:
        values = [r.get(c) for r in rows]
        f = arrow_field(c, values)
        if f.metadata == JSON_COLUMN:
            values = [None if v is None else json.dumps(v, allow_nan=False) for v in values]
        elif pa.types.is_floating(f.type):
            values = [None if v is None else float(v) for v in values]
        arrays.append(pa.array(values, type=f.type))
        fields.append(f)
    buf = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields)), buf)
    return buf.getvalue().to_pybytes()


def read_table(path):
    """The rows of a table written by :func:`write_tables`, as dicts, from any format: the
    Parquet and JSONL tables give back the values written (JSON-text columns decoded); the
    CSV gives strings, with None as ``""``."""
    path = os.fspath(path)
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq
        table = pq.read_table(path)
        rows = table.to_pylist()
        for f in table.schema:
            if f.metadata == JSON_COLUMN:
                for r in rows:
                    if r[f.name] is not None:
                        r[f.name] = json.loads(r[f.name])
        return rows
    with open(path, newline="") as fh:
        if path.endswith(".jsonl"):
            return [json.loads(line) for line in fh]
        return list(csv.DictReader(fh))


# -- the built-in kinds ----------------------------------------------------------------------
_HOST_BUDGET = []


def host_budget():
    """The host memory budget (:func:`rmtland.linalg.dense.memory_budget` on NumPy) against
    which the kinds' checks judge every point at parse time, read at most once a second
    (reading it costs ~60 us; a grid's points are checked one after another)."""
    from ..linalg.dense import memory_budget
    now = time.monotonic()
    if not _HOST_BUDGET or now - _HOST_BUDGET[0] > 1.0:
        _HOST_BUDGET[:] = [now, memory_budget(np)[1]]
    return _HOST_BUDGET[1]


def _hessian_point(*, phi, eps, n, samples, dtype, seed, device):
    r = simulate_hessian(phi, eps, n, samples, seed=seed, device=device, dtype=dtype,
                         progress=False)
    return scalar_fields(r, exclude=("phi", "eps", "n", "samples", "dtype"))


def _hessian_check(*, phi, eps, n, samples, dtype):
    """The kind's check: :func:`rmtland.experiments.hessian.check_hessian` (the method
    ``simulate_hessian`` picks, its memory and work on the host), at parse time."""
    from .hessian import check_hessian
    check_hessian(phi, eps, n, samples, dtype=dtype, max_bytes=host_budget())


def _spinglass_point(*, p, N, starts, seed, device):
    r = simulate_spinglass(p, N, starts, seed=seed, device=device, progress=False)
    return scalar_fields(r, exclude=("p", "N", "starts", "gradient_norm_definition"))


def _spinglass_check(*, p, N, starts):
    """The kind's check: :func:`rmtland.experiments.spinglass.check_spinglass`."""
    from .spinglass import check_spinglass
    check_spinglass(p, N, starts, max_bytes=host_budget())


def _network_point(*, seed, device, **params):
    r = simulate_network(**params, seed=seed, device=device, progress=False)
    fit = r["fit"] or {}
    memo = r["memorisation"] or {}
    pts = r["critical_points"]
    return {**scalar_fields(r, exclude=tuple(params)),
            "critical_points": len(pts), "minima": sum(p["index_count"] == 0 for p in pts),
            "max_index_count": max((p["index_count"] for p in pts), default=None),
            "max_index": max((p["index"] for p in pts), default=None),
            "fit_eps_c": fit.get("eps_c"), "fit_exponent": fit.get("exponent"),
            "memorisation_prediction": memo.get("prediction"),
            "minima_mean_loss": memo.get("minima_mean_loss")}


def _network_check(**params):
    """The kind's check: :func:`rmtland.experiments.networks.check_network` (ranges, the
    digits' inputs, memory and work), at parse time."""
    from .networks import check_network
    check_network(**params, max_bytes=host_budget())


def _register_builtins():
    from ..analytic.hessian import EPS_MAX, PHI_MAX
    from ..sampling.spinglass import MAX_P
    register_kind("hessian", _hessian_point, {
        "phi": real(_validate.positive, "phi", PHI_MAX),
        "eps": real(_validate.nonnegative, "eps", EPS_MAX),
        "n": integer("n", 1), "samples": integer("samples", 1),
        "dtype": choice("dtype", ("float64", "float32"))},
        {"dtype": "float64"}, check=_hessian_check)
    register_kind("spinglass", _spinglass_point, {
        "p": integer("p", 2, MAX_P), "N": integer("N", 2), "starts": integer("starts", 1)},
        check=_spinglass_check)
    register_kind("network", _network_point, {
        "hidden": integer("hidden", 1), "inputs": integer("inputs", 1),
        "outputs": integer("outputs", 1), "samples": integer("samples", 1),
        "depth": integer("depth", 1), "activation": choice("activation", ACTIVATIONS),
        "data": choice("data", DATA), "starts": integer("starts", 1),
        "maxiter": integer("maxiter", 1), "bias": boolean("bias"),
        "max_freeness": integer("max_freeness", 0),
        "reference_samples": integer("reference_samples", 0),
        "null_draws": integer("null_draws", 1)},
        {"depth": 1, "activation": "tanh", "data": "gaussian", "starts": 16, "maxiter": 200,
         "bias": False, "max_freeness": MAX_FREENESS, "reference_samples": REFERENCE_SAMPLES,
         "null_draws": NULL_DRAWS},
        check=_network_check)
    register_kind("figure", _run.figure_point, {
        "name": lambda v: choice("name", tuple(_run.FIGURES))(v),
        "level": choice("level", ("smoke", "quick", "full")),
        "simulate": boolean("simulate"), "figure_seed": integer("figure_seed", 0),
        "pdf": boolean("pdf")},
        {"level": "full", "simulate": True, "figure_seed": 0, "pdf": False}, files=True)


_register_builtins()
