"""One prepared check for a lent GPU machine (H100/H200): tests, benchmarks, crossover.

Run from the repository root, as one command:

    PYTHONPATH=. python benchmarks/gpu_check.py --out $OUT

Steps, each saved as soon as it ends (so a run cut short still reports what it did):

1. ``pytest -m gpu -q tests`` (the CuPy cases of the test suite);
2. the spectra benchmark on the GPU at n in {64, 256, 1024, 4096, 16384}: rmtland against
   numpy (host), cupy's batched ``eigvalsh`` and ``torch.linalg.eigvalsh`` (methods that
   would take minutes at the largest sizes are left out and listed as such);
3. inertia: LDLᵀ on the host (with the transfer) against eigenvalue counts on the GPU at
   n in {1024, 4096, 16384}, and whether the two counts agree;
4. the crossover between cupy's batched Jacobi ``eigvalsh`` (syevj) and a loop of 2-D calls
   (syevd), float64 and float32, with the recommended ``JACOBI_MAX_N``;
5. the p-spin, tridiagonal-GOE and network benchmarks on the GPU; the network rows are those
   of ``rmtland bench network`` (issue 20: H·v, blocks and dense Hessians against the GEMM
   ceiling, batched against the loop over single networks at B = 8 and 100, widths 10 ... 400;
   the torch.func row is CPU-only and says so), and batched SGD against its loop
   (``bench_train.py``, widths 10 ... 400).

Writes ``OUT/gpu_check.json`` and ``OUT/gpu_check.txt``. Designed to end within about 8
minutes (``--budget`` seconds, after which remaining steps are skipped).
"""
import argparse
import os
import platform
import subprocess
import sys
import time
import traceback

import numpy as np

import rmtland
from rmtland._io import write_json
from rmtland.bench import bench_spectra, format_table

SPECTRA_SIZES = (64, 256, 1024, 4096, 16384)
INERTIA_SIZES = (1024, 4096, 16384)
CROSSOVER_SIZES = (64, 128, 256, 384, 512, 768, 1024, 1536, 2048)


def _spectra_plan(n):
    """(methods, repeats, batch) for the GPU spectra benchmark at size n."""
    if n <= 1024:
        return (("numpy-eigvalsh", "rmtland-eigvalsh", "rmtland-inertia", "cupy-eigvalsh",
                 "torch-eigvalsh"), 3, None)
    if n <= 4096:   # batched Jacobi ~0.8 s/matrix, numpy a few s on 16 cores
        return (("numpy-eigvalsh", "rmtland-eigvalsh", "cupy-eigvalsh", "torch-eigvalsh"),
                1, 1)
    # n = 16384: syevd ~3 s; batched Jacobi ~48 s and numpy minutes, left out.
    return (("rmtland-eigvalsh", "torch-eigvalsh"), 1, 1)


def _crossover_batch(n):
    return 32 if n <= 256 else (16 if n <= 1024 else 8)


def _environment():
    info = {"python": platform.python_version(), "numpy": np.__version__,
            "rmtland": rmtland.__version__, "cpu_count": os.cpu_count()}
    try:
        import cupy
        info["cupy"] = cupy.__version__
        props = cupy.cuda.runtime.getDeviceProperties(0)
        info["gpu"] = props["name"].decode() if isinstance(props["name"], bytes) \
            else str(props["name"])
        info["gpu_memory_bytes"] = int(cupy.cuda.Device().mem_info[1])
        info["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
    except Exception as exc:
        info["cupy_error"] = f"{type(exc).__name__}: {exc}"
    try:
        import torch
        info["torch"] = torch.__version__
    except Exception as exc:
        info["torch_error"] = f"{type(exc).__name__}: {exc}"
    try:
        import scipy
        info["scipy"] = scipy.__version__
    except Exception:
        pass
    return info


def _run_tests(timeout):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (os.getcwd(), env.get("PYTHONPATH")) if p)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-m", "gpu", "-q", "tests",
                               "-p", "no:cacheprovider"], capture_output=True, text=True,
                              timeout=timeout, env=env)
        rc, out = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        rc, out = "timeout", (exc.stdout or b"").decode(errors="replace") \
            if isinstance(exc.stdout, bytes) else (exc.stdout or "")
    return {"returncode": rc, "seconds": time.perf_counter() - t0, "output_tail": out[-6000:]}


def _inertia_agreement(n):
    """Do host LDL counts equal GPU eigenvalue counts on the benchmark's matrices?"""
    from rmtland._backend import to_numpy
    from rmtland.linalg import count_negative, eigvalsh_batched
    from rmtland.sampling import sample_goe
    H = sample_goe(n, batch=1, rng=0, device="gpu")
    eigs = to_numpy(eigvalsh_batched(H))
    ldl = to_numpy(count_negative(H, method="ldl"))
    gap = float(np.abs(eigs).min())
    return {"n": n, "ldl": ldl.tolist(), "eigvalsh": (eigs < 0).sum(1).tolist(),
            "agree": bool(np.array_equal(ldl, (eigs < 0).sum(1))), "min_abs_eig": gap}


def _crossover(rows):
    """Largest n up to which batched Jacobi is faster than the syevd loop at every size."""
    t = {(r["n"], r["method"]): r["seconds_per_matrix"] for r in rows}
    best = None
    for n in sorted({r["n"] for r in rows}):
        j, s = t.get((n, "cupy-eigvalsh")), t.get((n, "cupy-syevd-loop"))
        if j is None or s is None:
            break
        if j > s:
            break
        best = n
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=".", help="folder for gpu_check.json / .txt")
    parser.add_argument("--budget", type=float, default=420.0,
                        help="seconds after which no new step is started")
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, for a dry run of the script itself")
    args = parser.parse_args(argv)
    spectra_sizes, inertia_sizes, crossover_sizes = (
        ((64, 128), (64, 128), (64, 128, 256)) if args.quick
        else (SPECTRA_SIZES, INERTIA_SIZES, CROSSOVER_SIZES))
    os.makedirs(args.out, exist_ok=True)
    json_path = os.path.join(args.out, "gpu_check.json")
    txt_path = os.path.join(args.out, "gpu_check.txt")
    t0 = time.perf_counter()
    result = {"environment": _environment(), "steps": {}, "skipped": []}
    text = [f"rmtland gpu_check on {result['environment'].get('gpu', '?')}"]

    def save():
        result["elapsed_s"] = time.perf_counter() - t0
        write_json(json_path, result)
        with open(txt_path + ".tmp", "w") as fh:
            fh.write("\n".join(text) + "\n")
        os.replace(txt_path + ".tmp", txt_path)

    def say(line):
        print(line, flush=True)
        text.append(line)

    def step(name, fn):
        left = args.budget - (time.perf_counter() - t0)
        if left <= 0:
            result["skipped"].append(name)
            say(f"[{name}] skipped: time budget spent")
            return None
        say(f"[{name}] start at {time.perf_counter() - t0:.0f} s")
        try:
            value = fn()
            result["steps"][name] = value
        except Exception as exc:
            result["steps"][name] = {"error": f"{type(exc).__name__}: {exc}",
                                     "traceback": traceback.format_exc()[-3000:]}
            say(f"[{name}] ERROR {type(exc).__name__}: {exc}")
            value = None
        save()
        return value

    say(str(result["environment"]))
    save()
    if not args.skip_tests:
        tests = step("pytest_gpu", lambda: _run_tests(timeout=min(180, args.budget / 2)))
        if tests:
            say(f"pytest -m gpu: rc={tests['returncode']} in {tests['seconds']:.0f} s")
            say(tests["output_tail"][-1500:])

    spectra_rows = []
    for n in spectra_sizes:
        methods, repeats, batch = _spectra_plan(n)
        rows = step(f"spectra_n{n}", lambda: bench_spectra("gpu", [n], repeats=repeats,
                                                           batch=batch, methods=methods))
        if rows:
            spectra_rows += rows
    result["left_out"] = {"n=4096": ["rmtland-inertia (same GPU path as rmtland-eigvalsh)"],
                          "n=16384": ["numpy-eigvalsh (minutes on the host)",
                                      "cupy-eigvalsh (batched Jacobi, ~48 s per matrix)"]}
    say("\nSpectra on the GPU (float64; vs = speed-up over the baseline)")
    say(format_table(spectra_rows))
    save()

    inertia_rows = []
    for n in inertia_sizes:
        rows = step(f"inertia_n{n}", lambda: bench_spectra(
            "gpu", [n], repeats=1 if n > 1024 else 3, batch=1 if n > 1024 else 4,
            methods=("host-ldl-inertia", "rmtland-inertia", "torch-eigvalsh")))
        if rows:
            inertia_rows += rows
        agreement = step(f"inertia_agree_n{n}", lambda: _inertia_agreement(n))
        if agreement:
            say(f"n={n}: host LDL count {agreement['ldl']} vs GPU eigvalsh count "
                f"{agreement['eigvalsh']}: agree={agreement['agree']}")
    say("\nInertia: host LDL (incl. transfer) vs GPU eigenvalue counts")
    say(format_table(inertia_rows, baselines=("rmtland-inertia", "torch-eigvalsh")))
    save()

    for dtype in ("float64", "float32"):
        rows = []
        for n in crossover_sizes:
            got = step(f"crossover_{dtype}_n{n}", lambda: bench_spectra(
                "gpu", [n], repeats=2, batch=_crossover_batch(n), dtype=dtype,
                methods=("cupy-eigvalsh", "cupy-syevd-loop")))
            if got:
                rows += got
        best = _crossover(rows)
        result["steps"][f"crossover_{dtype}"] = {"rows": rows, "jacobi_max_n": best}
        say(f"\nBatched Jacobi (cupy-eigvalsh) vs syevd loop, {dtype}; "
            f"Jacobi faster up to n = {best}")
        say(format_table(rows, baselines=("cupy-syevd-loop",)))
        save()
    # p-spin gradients (p = 3) and network Hessian-vector products against the GEMM ceiling,
    # and the tridiagonal GOE, on the GPU
    import subprocess
    here = os.path.dirname(os.path.abspath(__file__))
    for script, extra in (("bench_pspin.py", ["--sizes", "100", "300", "--batch", "1024"]),
                          ("bench_goe_tridiagonal.py", []),
                          ("bench_network.py", ["--hidden", "64", "256", "1024", "--batch",
                                                "32", "--samples", "1024", "--loop-batches",
                                                "8", "100", "--loop-hidden", "10", "40",
                                                "160", "400"]),
                          ("bench_train.py", ["--widths", "10", "40", "160", "400"])):
        def run_bench(script=script, extra=extra):
            out_json = os.path.join(args.out, script.replace(".py", ".json"))
            proc = subprocess.run([sys.executable, os.path.join(here, script), "--device", "gpu",
                                   *extra, "--out", out_json], capture_output=True, text=True,
                                  timeout=max(30.0, args.budget - (time.perf_counter() - t0)))
            say(proc.stdout[-2000:] + proc.stderr[-1000:])
            return {"returncode": proc.returncode, "json": os.path.basename(out_json)}
        step(script.replace(".py", ""), run_bench)
    say(f"\ndone in {time.perf_counter() - t0:.0f} s; wrote {json_path} and {txt_path}")
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
