"""Does the freeness defect shrink as networks grow?
=================================================

Claim (the question PB17 leaves open): does the freeness defect of H = H0 + H1 shrink as
networks grow?  One-hidden-layer tanh networks [d, h, k] on PB17's memorisation task at fixed
phi = n/(km), n from 36 to 1632 parameters, each unit a data set and a network taken along
gradient descent at loss eps_target; the three KS distances of freeness_test with their
Haar-null p-values and null levels, and power laws against n
(rmtland.experiments.freeness_scaling).

Writes ``result.json`` (the study's rows and fits with its seed, device, versions and seconds)
and ``freeness_scaling.png`` (``--pdf``: also a PDF) into ``--out``, as one unit.
"""
import argparse
import dataclasses
import sys

from rmtland import __version__, _io
from rmtland._validate import InputError
from rmtland.experiments.freeness_scaling import FreenessScalingConfig, freeness_scaling

NAME = "freeness_scaling"


def main(argv=None):
    d = FreenessScalingConfig()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--hidden", type=int, nargs="+", default=[w[1] for w in d.ladder],
                   help="hidden widths h; d = 2h/3, k = 2 (PB17's [4, 6, 2] grown)")
    p.add_argument("--phis", type=float, nargs="+", default=list(d.phis))
    p.add_argument("--units", type=int, default=d.units)
    p.add_argument("--eps-target", type=float, default=d.eps_target)
    p.add_argument("--null-draws", type=int, default=d.null_draws)
    p.add_argument("--null-draws-large", type=int, default=d.null_draws_large)
    p.add_argument("--large-n", type=int, default=d.large_n)
    p.add_argument("--rotations", type=int, default=d.rotations)
    p.add_argument("--grid", type=int, default=d.grid)
    p.add_argument("--rotate-h1", action="store_true",
                   help="control: H1 -> Q H1 Q^T with an independent Haar Q (truly free)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--smoke", action="store_true", help="tiny sizes, for tests")
    p.add_argument("--pdf", action="store_true", help="the figure as PDF too")
    a = p.parse_args(argv)
    if a.smoke:
        a.hidden, a.units, a.null_draws, a.grid = [3, 6], 2, 19, 129
    if any(h < 3 or h % 3 for h in a.hidden):
        print(f"{NAME}: error: --hidden must be multiples of 3 (>= 3), so that d = 2h/3 is an "
              f"integer, got {a.hidden}", file=sys.stderr)
        return 2
    cfg = dataclasses.replace(
        d, ladder=tuple((2 * h // 3, h, 2) for h in a.hidden), phis=tuple(a.phis),
        units=a.units, eps_target=a.eps_target, null_draws=a.null_draws,
        null_draws_large=a.null_draws_large, large_n=a.large_n, rotations=a.rotations,
        grid=a.grid, rotate_h1=a.rotate_h1, seed=a.seed)
    try:
        _io.check_output_dir(a.out)
        result = freeness_scaling(cfg, progress=lambda line: print(line, file=sys.stderr))
    except InputError as e:
        print(f"{NAME}: error: {e}", file=sys.stderr)
        return 2
    from rmtland.experiments import _run
    result = {"figure": NAME, "claim": " ".join(__doc__.split("\n\n")[1].split()),
              "seed": cfg.seed, "device": "cpu", **result, "rmtland_version": __version__,
              "versions": _run.versions(),
              "files": _run.figure_names(NAME, a.pdf) + ["result.json"]}

    def draw():
        from rmtland.plotting.freeness_scaling import plot_freeness_scaling
        return plot_freeness_scaling(result)
    for path in _run.write_run(a.out, {"result.json": result}, [(NAME, draw)], a.pdf,
                               owned=_run.figure_names(NAME, True)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
