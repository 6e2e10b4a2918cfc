"""Benchmark the sweep engine: the same 64-point Hessian sweep in this process and on a
``distributed.LocalCluster`` of 2 single-threaded worker processes, and the engine's own cost
per point (a kind that computes nothing).

Timings (wall clock, one run each, this machine):

* ``serial``: ``workers=0`` (this process, the BLAS's default threads, as ``--workers 0``
  runs it) and, when threadpoolctl is installed, ``serial, 1 BLAS thread`` (what each Dask
  worker gets: the fair baseline for the speed-up);
* ``2 workers, end to end``: cluster start, the sweep, cluster close (what ``rmtland sweep
  SPEC --workers 2`` costs); ``2 workers, warm``: the sweep on a started cluster whose workers
  already ran one point each;
* ``process pool (no Dask), warm``: the same points on a plain ``concurrent.futures`` pool
  of 2 spawned processes, one BLAS thread each: the ceiling any scheduler can reach on this
  machine at this moment (a reference, not a runner of rmtland);
* overhead: ``points`` no-op points in this process and on the warm cluster; seconds per
  point = wall / points (point files, table, scheduling; no computing).

Targets (issue 13): speed-up >= 1.6 on a 2-core machine, overhead < 50 ms a point.  The load
average is printed: other processes on the machine slow every mode.  ``busy workers`` (the sum
of the points' own seconds over the wall time) tells the two apart: near 2, both workers are
kept busy and a shortfall in speed-up comes from slower points (contention), not scheduling.
Writes JSON with --out.

    python benchmarks/bench_sweep.py --out sweep_bench.json
"""
import argparse
import contextlib
import logging
import os
import platform
import shutil
import tempfile
import time

import rmtland
from rmtland._io import write_json
from rmtland.experiments import sweep

#: 4 phi x 4 eps x 4 seeds = 64 points; n = 400, 16 matrices a point (~0.25 s each on one
#: core; at n = 200, ~0.05 s a point, a plain 2-process pool reached only 1.57x: the points
#: were too short for 2 processes to pay)
SPEC = {"kind": "hessian", "seed": 0, "seeds": 4,
        "grid": {"phi": [0.25, 0.5, 0.75, 2.0], "eps": [0.001, 0.01, 0.1, 0.5], "n": 400,
                 "samples": 16}}


def _close(a, b):
    """Rows equal, floats to a relative 1e-9."""
    if a.keys() != b.keys():
        return False
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, float) and isinstance(y, float):
            if abs(x - y) > 1e-9 * max(abs(x), abs(y), 1e-300):
                return False
        elif x != y:
            return False
    return True


def noop(*, i, seed, device):
    """A kind that computes nothing: the engine's own cost per point."""
    return {"i2": i * i}


def one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(1, user_api="blas")


def pool_ceiling(workers):
    """Wall seconds of the 64 points on a plain ``concurrent.futures`` pool of ``workers``
    spawned processes, one BLAS thread each, warm (no Dask, no files): the most any scheduler
    can get from this machine at this moment."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    points = sweep.parse_spec(SPEC).points
    run = sweep.KINDS["hessian"].run
    old = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    os.environ.update({k: "1" for k in old})         # inherited by the spawned processes
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) \
                as pool:
            list(pool.map(sweep.compute_point, [run] * workers,
                          [points[0].params] * workers, [1] * workers, ["cpu"] * workers))
            t0 = time.perf_counter()
            list(pool.map(sweep.compute_point, [run] * len(points), [p.params for p in points],
                          [p.seed for p in points], ["cpu"] * len(points)))
            return time.perf_counter() - t0
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--points", type=int, default=640, help="no-op points (overhead)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    from distributed import Client, LocalCluster
    sweep.register_kind("noop", noop, {"i": sweep.integer("i", 0)})
    noop_spec = {"kind": "noop", "grid": {"i": list(range(args.points))}}
    warm = {**SPEC, "seed": 1, "seeds": 1, "grid": {**SPEC["grid"], "phi": 0.5, "eps": 0.1}}
    tmp = tempfile.mkdtemp(prefix="bench-sweep-")
    d = lambda name: os.path.join(tmp, name)         # noqa: E731
    load0 = os.getloadavg()
    run = lambda spec, out, **kw: sweep.run_sweep(spec, out, progress=False, **kw)  # noqa: E731
    rows = {}
    try:
        run(warm, d("warm-serial"), workers=0)       # imports and first-call costs, here
        rows["serial"], ref = timed(lambda: run(SPEC, d("serial"), workers=0))
        limit = one_blas_thread()
        if limit is not None:
            with limit:
                rows["serial, 1 BLAS thread"], ref1 = timed(
                    lambda: run(SPEC, d("serial1"), workers=0))
        rows["2 workers, end to end"], e2e = timed(
            lambda: run(SPEC, d("e2e"), workers=args.workers))
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
                Client(cluster, set_as_default=False) as client:
            client.run(lambda: __import__("rmtland.experiments.sweep"))
            # one point per worker first (imports, first-call costs)
            run({**warm, "seeds": args.workers}, d("warm-dist"), client=client)
            rows["2 workers, warm"], dist = timed(lambda: run(SPEC, d("dist"), client=client))
            t_noop_dist, _ = timed(lambda: run(noop_spec, d("noop-dist"), client=client))
        t_noop_serial, _ = timed(lambda: run(noop_spec, d("noop-serial"), workers=0))
        rows["process pool (no Dask), warm"] = pool_ceiling(args.workers)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    def fields(summary):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in summary["rows"]]
    # the workers run with one BLAS thread: compared bit for bit with the in-process run on
    # one BLAS thread; the default-threads run may differ in the last bits (a threaded BLAS
    # sums in another order), so it is compared to a relative 1e-9
    same = fields(ref1 if limit is not None else ref) == fields(dist)
    close = all(_close(a, b) for a, b in zip(fields(ref), fields(dist)))
    base = rows.get("serial, 1 BLAS thread", rows["serial"])
    result = {
        "rmtland": rmtland.__version__, "machine": platform.platform(),
        "cpus": os.cpu_count(), "load_average_before": load0,
        "load_average_after": os.getloadavg(), "points": len(ref["rows"]),
        "spec": SPEC, "workers": args.workers, "seconds": rows,
        "speedup_warm": base / rows["2 workers, warm"],
        "speedup_end_to_end": base / rows["2 workers, end to end"],
        "speedup_vs_default_threads_warm": rows["serial"] / rows["2 workers, warm"],
        "speedup_process_pool_ceiling": base / rows["process pool (no Dask), warm"],
        "identical_numbers": same, "default_threads_within_1e-9": close,
        "overhead_seconds_per_point": {"dask": t_noop_dist / args.points,
                                       "serial": t_noop_serial / args.points},
        "overhead_points": args.points,
        # sum of the points' own seconds / wall: how many points ran at once on average
        # (<= workers); with the per-point seconds it separates scheduling from contention
        "busy_workers_warm": sum(r["seconds"] for r in dist["rows"]) / rows["2 workers, warm"],
        "point_seconds_mean": {
            "serial" + (", 1 BLAS thread" if limit is not None else ""):
                sum(r["seconds"] for r in (ref1 if limit is not None else ref)["rows"])
                / len(ref["rows"]),
            "2 workers, warm": sum(r["seconds"] for r in dist["rows"]) / len(dist["rows"])}}
    print(f"rmtland {rmtland.__version__}, {platform.machine()}, {os.cpu_count()} CPUs, load "
          f"average {load0[0]:.2f} before, {result['load_average_after'][0]:.2f} after")
    print(f"{len(ref['rows'])}-point Hessian sweep (n = {SPEC['grid']['n']}, "
          f"{SPEC['grid']['samples']} matrices a point):")
    for name, sec in rows.items():
        print(f"  {name:28s} {sec:8.2f} s  ({sec / len(ref['rows']) * 1e3:6.1f} ms a point)")
    print(f"  speed-up, 2 workers vs serial{' (1 BLAS thread)' if limit else ''}: warm "
          f"{result['speedup_warm']:.2f}x, end to end {result['speedup_end_to_end']:.2f}x "
          f"(target >= 1.6x); vs serial with default BLAS threads (warm) "
          f"{result['speedup_vs_default_threads_warm']:.2f}x")
    print(f"  ceiling on this machine now (a plain process pool, warm): "
          f"{result['speedup_process_pool_ceiling']:.2f}x")
    print(f"  same numbers in-process (1 BLAS thread) and on the cluster: {same}; in-process "
          f"with the default BLAS threads, to a relative 1e-9: {close}")
    print(f"  busy workers (sum of point seconds / wall, warm): "
          f"{result['busy_workers_warm']:.2f} of {args.workers}; mean seconds a point: "
          + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in result["point_seconds_mean"].items()))
    o = result["overhead_seconds_per_point"]
    print(f"overhead per point ({args.points} no-op points): Dask {o['dask'] * 1e3:.1f} ms, "
          f"in-process {o['serial'] * 1e3:.1f} ms (target < 50 ms)")
    if args.out:
        write_json(args.out, result)
    return result


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
