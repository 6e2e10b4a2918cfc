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

Layout: :mod:`~rmtland.experiments.sweep.spec` (the TOML spec, its grid and checks),
:mod:`~rmtland.experiments.sweep.seeds` (point seeds and keys),
:mod:`~rmtland.experiments.sweep.kinds` (the one registry of kinds, :data:`KINDS`, filled
there), :mod:`~rmtland.experiments.sweep.runners` (in process and on Dask; :func:`run_sweep`)
and :mod:`~rmtland.experiments.sweep.writers` (the tables).  ``rmtland sweep`` and
``reproduce --full`` (figures as points of kind ``"figure"``) both run through
:func:`run_sweep`.

References
----------
M. Rocklin, "Dask: Parallel Computation with Blocked algorithms and Task Scheduling",
Proc. SciPy 2015, doi:10.25080/Majora-7b98e3ed-013.
M. E. O'Neill et al., NumPy ``SeedSequence`` (NEP 19): spawn keys give independent streams.
"""
# the names below and those of __all__: every name of the single module that others use
from ..._validate import InputError  # noqa: F401
from .kinds import (KINDS, Kind, boolean, choice, host_budget, integer,  # noqa: F401
                    network_point, real, register_kind, scalar_fields, trained_point)
from .runners import (CONNECT_TIMEOUT, DIST_NOTE, NANNY_ENVIRON_UNSET,  # noqa: F401
                      WORKERS_PER_CPU, check_workers, closing_quietly, compute_point, connect,
                      local_cluster, nanny_environ_kept, run_sweep, versions)
from .seeds import point_key, point_seed  # noqa: F401
from .spec import (DEVICES, MAX_POINTS, Point, Sweep, load_spec, parse_spec,  # noqa: F401
                   toml_module)
from .writers import (FORMATS, JSON_COLUMN, LEAD, TAIL, arrow_field, columns,  # noqa: F401
                      read_table, write_tables)

__all__ = ["KINDS", "Kind", "register_kind", "load_spec", "parse_spec", "point_seed",
           "run_sweep", "compute_point", "connect", "check_workers", "closing_quietly",
           "write_tables", "read_table", "arrow_field", "DEVICES", "CONNECT_TIMEOUT",
           "DIST_NOTE", "MAX_POINTS", "WORKERS_PER_CPU"]
