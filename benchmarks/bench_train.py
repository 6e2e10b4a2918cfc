"""Benchmark batched SGD (``rmtland.networks.train.train_sgd`` on B networks at once) against a
plain loop of the same call on one network at a time, same device, same epochs, timed
interleaved (batched, loop, batched, ...; medians of --repeats rounds after a warm-up round).

Prints networks trained per second (softmax one-hidden-layer networks on the 4x4 digits, ten
classes, the training recipe of ``rmtland.experiments.trained.TrainedConfig``, a fixed number of
epochs, so both sides do the same work) and the ratio,
measured in one run on one machine; writes the rows to a JSON file (atomically) with --out.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_train.py --widths 10 40 160 400
"""
import argparse
import sys

from rmtland._backend import device_name, get_xp
from rmtland.bench import time_interleaved, write_rows
from rmtland.experiments.trained import TrainedConfig, digits_task
from rmtland.networks import MLP
from rmtland.networks.train import train_sgd


def _sync(xp):
    if xp.__name__ != "numpy":
        xp.cuda.Stream.null.synchronize()


def bench(device, widths, networks, epochs, dtype="float32", repeats=3):
    xp = get_xp(device)
    config = TrainedConfig(device=device, epochs=epochs, stop="none")
    X, Y, _, _ = digits_task(config, range(10), rng=0, dtype=dtype)
    kw = config.training()
    rows = []
    for w in widths:
        model = MLP([X.shape[1], w, 10], activation="relu", loss="softmax", dtype=dtype)
        theta = model.init(networks, rng=1, device=device)
        batched, loop = time_interleaved(
            [lambda: train_sgd(model, theta, X, Y, rng=2, **kw),
             lambda: [train_sgd(model, theta[b:b + 1], X, Y, rng=2, **kw)
                      for b in range(networks)]], repeats, sync=lambda: _sync(xp))
        for method, sec in (("rmtland-batched", batched), ("plain-loop", loop)):
            rows.append({"width": w, "method": method, "device": device_name(xp),
                         "networks": networks, "epochs": epochs, "seconds": sec,
                         "networks_per_second": networks / sec})
        rows.append({"width": w, "method": "ratio", "device": device_name(xp),
                     "networks": networks, "epochs": epochs, "repeats": repeats,
                     "speedup_batched_over_loop": loop / batched})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
    parser.add_argument("--widths", type=int, nargs="+", default=[10, 40, 160, 400])
    parser.add_argument("--networks", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3,
                        help="interleaved rounds (batched, loop); medians are reported")
    parser.add_argument("--out", default=None, help="JSON file for the rows")
    args = parser.parse_args(argv)
    rows = bench(args.device, args.widths, args.networks, args.epochs, repeats=args.repeats)
    print(f"{'width':>6} {'method':>16} {'device':>6} {'nets/s':>10} {'speed-up':>9}")
    for r in rows:
        if r["method"] == "ratio":
            print(f"{r['width']:>6} {'batched/loop':>16} {r['device']:>6} {'':>10} "
                  f"{r['speedup_batched_over_loop']:>8.2f}x")
        else:
            print(f"{r['width']:>6} {r['method']:>16} {r['device']:>6} "
                  f"{r['networks_per_second']:>10.2f}")
    if args.out:
        write_rows(args.out, "train", vars(args), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
