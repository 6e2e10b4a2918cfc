"""Benchmark the sweep engine: the same 64-point Hessian sweep in this process, on a
``distributed.LocalCluster`` of 2 single-threaded worker processes, and on a plain process pool
(the ceiling), repeated and interleaved; and the engine's own cost per point (a kind that
computes nothing).

Modes, each run once a round, the rounds one after another (so that the machine's load, which
other processes change, weighs on every mode alike):

* ``serial``: ``workers=0`` (this process) with one BLAS thread (what each worker gets, the
  fair baseline for the speed-ups; threadpoolctl, else the BLAS's default threads);
* ``dask, end to end``: cluster start, the sweep, cluster close (what ``rmtland sweep SPEC
  --workers 2`` costs); ``dask, warm``: the sweep on a started cluster whose workers already
  ran points;
* ``pool, end to end`` and ``pool, warm``: the same points through
  :func:`rmtland.experiments.sweep.compute_point` on a plain ``concurrent.futures`` pool of 2
  spawned processes, one BLAS thread each, no files (a reference, not a runner of rmtland):
  the ceiling any scheduler can reach on this machine at this moment, with and without the
  start of its processes;
* ``cluster start`` of the sweep's own cluster (:func:`rmtland.experiments.sweep.
  local_cluster`, no points), ``workers import rmtland`` (the first call on it) and ``tiny
  sweep, end to end`` (8 points of ~1 ms through ``run_sweep`` on a fresh cluster: its start
  and close as the sweep does them): where the end-to-end time beyond the warm sweep goes.

Reported: the median over the rounds of each mode's seconds, and of each round's speed-up
(serial / mode), and the ratio that issue 20 asks about, Dask's speed-up over the pool's (warm
with warm, end to end with end to end; target >= 0.95).  ``busy workers`` (the sum of the
points' own seconds over the wall time, warm) near 2 says both workers are kept busy: a
shortfall in speed-up then comes from slower points (contention), not from scheduling.
Overhead: ``points`` no-op points in this process and on the warm cluster, seconds per point.
The load average is printed: other processes on the machine slow every mode.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_sweep.py --repeat 3 --out sweep_bench.json

Where the time goes (issue 20; a 2-core machine shared with other jobs).  Dask's nanny gives
every worker ``MALLOC_TRIM_THRESHOLD_=65536`` (its ``distributed.nanny.pre-spawn-environ``)
and writes it into the environment of the process that starts the cluster, where it stays:
glibc then returns freed memory to the kernel at every free above 64 KiB and each point
faults its arrays in afresh (267 ms a point on 2 workers, 200 ms alone), and the pool spawned
after a cluster inherited it as well.  The sweep's cluster now leaves it unset
(``sweep.NANNY_ENVIRON_UNSET``) and puts the caller's environment back, and this benchmark's
pool runs with the environment the process had: ``--repeat 3``, same day, old code then new:
Dask's speed-up end to end 1.26x -> 1.59x (warm 1.48x -> 1.84x, 218 ms a point), the pool's
1.41x -> 1.75x (warm 1.48x -> 1.90x); Dask over the pool 0.876 -> 0.918 end to end, 0.993 ->
0.966 warm.  Warm, both workers are busy (1.96-1.98 of 2); what is left is the engine's 2.2 ms
a point (the scheduler's round trip; the point's file and row, written by the submitting
process, which shares the 2 cores with the workers).  End to end, Dask also pays its
cluster's start (0.43 s: two spawned processes importing distributed, 0.22 s, and the main
module, then the nanny's handshake; the pool's processes import the main module only) and its
close; a worker's close waited 0.1-0.6 s for its interpreter's finalization, which the
package skips (``runners._quick_exit_plugin``).
"""
import argparse
import contextlib
import multiprocessing
import os
import platform
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import rmtland
from rmtland._backend import environ_kept
from rmtland._io import write_json
from rmtland.experiments import sweep

#: 4 phi x 4 eps x 4 seeds = 64 points; n = 400, 16 matrices a point (~0.2 s each on one
#: core; at n = 200, ~0.05 s a point, a plain 2-process pool reached only 1.57x: the points
#: were too short for 2 processes to pay)
SPEC = {"kind": "hessian", "seed": 0, "seeds": 4,
        "grid": {"phi": [0.25, 0.5, 0.75, 2.0], "eps": [0.001, 0.01, 0.1, 0.5], "n": 400,
                 "samples": 16}}
#: 8 points of ~1 ms: a sweep on a fresh cluster costs its start and close, little else
TINY = {"kind": "hessian", "seeds": 2,
        "grid": {"phi": [0.5, 2.0], "eps": [0.01, 0.2], "n": 20, "samples": 1}}
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def noop(*, i, seed, device):
    """A kind that computes nothing: the engine's own cost per point."""
    return {"i2": i * i}


def one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def one_thread_environ():
    """OMP/OpenBLAS/MKL at one thread in the environment (inherited by spawned processes)."""
    return environ_kept(ONE_THREAD, {k: "1" for k in ONE_THREAD})


def new_pool(workers):
    """A pool of ``workers`` spawned processes, one BLAS thread each, started (each has run
    one call, so rmtland is imported there)."""
    with one_thread_environ():
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        list(pool.map(abs, range(workers)))
    return pool


def on_pool(pool, points, run):
    """The points through ``compute_point`` on ``pool``: their results, in order."""
    return list(pool.map(sweep.compute_point, [run] * len(points), [p.params for p in points],
                         [p.seed for p in points], ["cpu"] * len(points)))


def pool_end_to_end(workers, points, run):
    with new_pool(workers) as pool:
        return on_pool(pool, points, run)


def new_cluster(workers):
    """The sweep's own cluster (:func:`rmtland.experiments.sweep.local_cluster`, as ``rmtland
    sweep --workers`` starts it), this process's environment put back after its start (Dask's
    nanny leaves its pre-spawn variables in it, which the pool spawned later would inherit)."""
    from distributed import Client
    with sweep.nanny_environ_kept():
        cluster = sweep.local_cluster(workers, "cpu")[0]
    return cluster, Client(cluster, set_as_default=False)


def close(cluster, client):
    client.close()
    cluster.close()


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every mode")
    parser.add_argument("--points", type=int, default=640, help="no-op points (overhead)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    from distributed import Client
    sweep.register_kind("noop", noop, {"i": sweep.integer("i", 0)})
    noop_spec = {"kind": "noop", "grid": {"i": list(range(args.points))}}
    warm = {**SPEC, "seed": 1, "seeds": args.workers,
            "grid": {**SPEC["grid"], "phi": 0.5, "eps": 0.1}}
    points = sweep.parse_spec(SPEC).points
    run_point = sweep.KINDS["hessian"].run
    tmp = tempfile.mkdtemp(prefix="bench-sweep-")
    count = iter(range(10**6))
    d = lambda name: os.path.join(tmp, f"{name}-{next(count)}")      # noqa: E731
    run = lambda spec, **kw: sweep.run_sweep(spec, d("run"), progress=False, **kw)  # noqa: E731
    load0 = os.getloadavg()
    seconds = {m: [] for m in ("serial", "dask, end to end", "pool, end to end", "dask, warm",
                               "pool, warm", "cluster start", "workers import rmtland",
                               "tiny sweep, end to end")}
    try:
        run(warm, workers=0)                          # imports and first-call costs, here
        cluster, client = new_cluster(args.workers)
        run(warm, client=client)                      # one point per worker first
        pool = new_pool(args.workers)
        on_pool(pool, points[:args.workers], run_point)
        for _ in range(args.repeat):
            with one_blas_thread():
                t, ref = timed(lambda: run(SPEC, workers=0))
            seconds["serial"].append(t)
            t, e2e = timed(lambda: run(SPEC, workers=args.workers))
            seconds["dask, end to end"].append(t)
            seconds["pool, end to end"].append(
                timed(lambda: pool_end_to_end(args.workers, points, run_point))[0])
            t, dist = timed(lambda: run(SPEC, client=client))
            seconds["dask, warm"].append(t)
            seconds["pool, warm"].append(timed(lambda: on_pool(pool, points, run_point))[0])
            with sweep.nanny_environ_kept():
                t, c = timed(lambda: sweep.local_cluster(args.workers, "cpu")[0])   # the sweep's
            seconds["cluster start"].append(t)
            cl = Client(c, set_as_default=False)
            seconds["workers import rmtland"].append(timed(
                lambda: cl.run(lambda: __import__("rmtland.experiments.sweep")))[0])
            close(c, cl)
            seconds["tiny sweep, end to end"].append(
                timed(lambda: run(TINY, workers=args.workers))[0])
        t_noop_dist, _ = timed(lambda: run(noop_spec, client=client))
        t_noop_serial, _ = timed(lambda: run(noop_spec, workers=0))
        pool.shutdown()
        close(cluster, client)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def fields(summary):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in summary["rows"]]
    # the workers run with one BLAS thread, as the in-process reference: bit for bit
    same = fields(ref) == fields(dist) == fields(e2e)
    median = {m: statistics.median(s) for m, s in seconds.items()}
    speedup = {m: statistics.median(b / t for b, t in zip(seconds["serial"], seconds[m]))
               for m in ("dask, end to end", "pool, end to end", "dask, warm", "pool, warm")}
    # issue 20: Dask's speed-up over the pool's, each round (the same machine state)
    of_pool = {w: statistics.median(p / t for p, t in
                                    zip(seconds[f"pool, {w}"], seconds[f"dask, {w}"]))
               for w in ("warm", "end to end")}
    result = {
        "rmtland": rmtland.__version__, "machine": platform.platform(),
        "cpus": os.cpu_count(), "load_average_before": load0,
        "load_average_after": os.getloadavg(), "points": len(points), "spec": SPEC,
        "workers": args.workers, "repeat": args.repeat, "seconds": seconds,
        "median_seconds": median, "speedup": speedup, "dask_over_pool_speedup": of_pool,
        "identical_numbers": same,
        "overhead_seconds_per_point": {"dask": t_noop_dist / args.points,
                                       "serial": t_noop_serial / args.points},
        "overhead_points": args.points,
        # sum of the points' own seconds / wall: how many points ran at once on average
        # (<= workers); with the per-point seconds it separates scheduling from contention
        "busy_workers_warm": sum(r["seconds"] for r in dist["rows"]) / seconds["dask, warm"][-1],
        "point_seconds_mean": {
            "serial": sum(r["seconds"] for r in ref["rows"]) / len(points),
            "dask, warm": sum(r["seconds"] for r in dist["rows"]) / len(points)}}
    print(f"rmtland {rmtland.__version__}, {platform.machine()}, {os.cpu_count()} CPUs, load "
          f"average {load0[0]:.2f} before, {result['load_average_after'][0]:.2f} after")
    print(f"{len(points)}-point Hessian sweep (n = {SPEC['grid']['n']}, "
          f"{SPEC['grid']['samples']} matrices a point), {args.workers} workers, median of "
          f"{args.repeat} interleaved rounds:")
    for m, sec in median.items():
        extra = f"  speed-up {speedup[m]:.2f}x" if m in speedup else ""
        print(f"  {m:24s} {sec:7.2f} s{extra}")
    print(f"  Dask's speed-up / the pool's (target >= 0.95): warm {of_pool['warm']:.3f}, "
          f"end to end {of_pool['end to end']:.3f}")
    print(f"  same numbers in-process (1 BLAS thread) and on the clusters: {same}")
    print(f"  busy workers (sum of point seconds / wall, warm, last round): "
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
