"""Sweep runners: the points of a parsed sweep in this process or on Dask (a local cluster,
a ``dask_cuda`` cluster, or an existing scheduler), their rows recorded as they finish, then
the tables and ``result.json`` (:func:`run_sweep`; the runners: :mod:`rmtland.experiments.sweep`).

References
----------
M. Rocklin, "Dask: Parallel Computation with Blocked algorithms and Task Scheduling",
Proc. SciPy 2015, doi:10.25080/Majora-7b98e3ed-013.
"""
import contextlib
import json
import logging
import os
import re
import sys
import time

from ... import _validate
from ..._backend import environ_kept, get_xp
from ..._io import check_output_dir, write_json
from ..._progress import Progress
from ..._validate import InputError
from ..._version import __version__
from .. import _run
from .kinds import KINDS
from .spec import DEVICES, Sweep, load_spec, parse_spec
from .writers import LEAD, TAIL, write_tables

__all__ = ["run_sweep", "compute_point", "connect", "check_workers", "closing_quietly",
           "local_cluster", "nanny_environ_kept", "versions", "CONNECT_TIMEOUT", "DIST_NOTE",
           "NANNY_ENVIRON_UNSET", "WORKERS_PER_CPU"]

#: seconds an existing scheduler (``scheduler=``) has to answer before the sweep is refused
CONNECT_TIMEOUT = 10.0
#: the note printed when dask.distributed is missing
DIST_NOTE = ("rmtland: note: dask.distributed is not installed (pip install 'rmtland[dist]'); "
             "running the points one by one in this process")
#: the most local Dask worker processes per CPU (``workers=``; one per GPU with dask-cuda)
WORKERS_PER_CPU = 4


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


#: Variables of Dask's ``distributed.nanny.pre-spawn-environ`` left unset in the workers of
#: the clusters a sweep starts.  ``MALLOC_TRIM_THRESHOLD_=65536`` (Dask's default, against
#: the memory growth of long-lived workers) makes glibc return freed memory to the kernel at
#: every free above 64 KiB, so each point's arrays are faulted in afresh: the 64 Hessian points
#: of ``benchmarks/bench_sweep.py`` (n = 400) took 285 ms a point on 2 workers with it, 217 ms
#: without (200 ms alone in one process).  A value the caller's environment sets is inherited.
NANNY_ENVIRON_UNSET = ("MALLOC_TRIM_THRESHOLD_",)


def local_cluster(workers, device):
    """The cluster of a sweep without a scheduler: ``dask_cuda.LocalCUDACluster`` (one worker
    per GPU, at most ``workers``) for ``device`` "gpu"/"auto" when dask-cuda imports and a GPU
    is seen; else a ``distributed.LocalCluster`` of ``workers`` single-threaded processes
    (default: one per CPU), their environment without :data:`NANNY_ENVIRON_UNSET`.  Returns
    ``(cluster, description)``.

    Dask's nanny writes its pre-spawn variables into this process's ``os.environ`` and leaves
    them there (one BLAS thread, a fixed ``PYTHONHASHSEED`` for every later subprocess of the
    caller); :func:`run_sweep` puts them back once its cluster has closed
    (:func:`nanny_environ_kept`)."""
    import dask
    # the workers' logs at CRITICAL: a point's error is recorded in its row, a lost worker's
    # points as KilledWorker; the rest (heartbeats failing as the cluster closes after
    # Ctrl-C, closed streams) is noise on the terminal
    quiet = {"dashboard_address": ":0", "silence_logs": logging.CRITICAL}
    unset = {f"distributed.nanny.pre-spawn-environ.{k}": None for k in NANNY_ENVIRON_UNSET}
    with dask.config.set(unset):
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


def nanny_environ_kept():
    """This process's values of the variables Dask's nanny sets before spawning a worker (its
    ``distributed.nanny.pre-spawn-environ`` and ``PYTHONHASHSEED``), put back on exit
    (:func:`rmtland._backend.environ_kept`): the caller's later subprocesses see the
    environment it had."""
    import dask
    return environ_kept(set(dask.config.get("distributed.nanny.pre-spawn-environ"))
                        | {"PYTHONHASHSEED"})


def _quick_exit_plugin():
    """A Dask worker plugin for the clusters a sweep starts: as a worker closes, its process is
    set to end, once closed, without the interpreter's finalization (:func:`os._exit` after
    flushing stdout and stderr, as the first exit handler to run, being the last registered).

    That finalization and the exit handlers of the modules a point imported took 0.1-0.6 s
    a worker process on a 2-core machine, most of the time a local cluster takes to close
    (``benchmarks/bench_sweep.py``); by then the worker has delivered or given up its
    points, whose rows and files the submitting process writes."""
    from distributed import WorkerPlugin

    class QuickExit(WorkerPlugin):
        name = "rmtland-quick-exit"

        def teardown(self, worker):
            import atexit
            atexit.register(_exit_now)
    return QuickExit()


def _exit_now():
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


class _Bar:
    """The progress line: points done / total, rate and ETA
    (:class:`rmtland._progress.Progress` with the rate and ETA in its label)."""

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
                stack.enter_context(nanny_environ_kept())     # exits after the cluster's
                cluster, runner = local_cluster(workers, device)
                stack.enter_context(closing_quietly(cluster))
                client = Client(cluster, set_as_default=False)
                stack.enter_context(closing_quietly(client))
                client.register_plugin(_quick_exit_plugin())
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
