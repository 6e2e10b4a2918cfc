"""``rmtland simulate hessian|spinglass|network|trained``: sampled matrices, a real network's
critical points and trained networks, each against the theory (:mod:`rmtland.experiments`)."""
import argparse

from ..analytic.hessian import EPS_MAX, PHI_MAX
from ._args import DEVICES, METHODS, Parser, emit, eps_arg, integer, phi_arg, whole


def add_parser(subparsers):
    sim = subparsers.add_parser("simulate", help="sample matrices and compare with the theory")
    ssub = sim.add_subparsers(dest="model", required=True, parser_class=Parser)
    for add in (_add_hessian, _add_spinglass, _add_network, _add_trained):
        add(ssub)


def _add_hessian(ssub):
    sh = ssub.add_parser("hessian", help="Pennington-Bahri Hessians: spectrum and index")
    sh.add_argument("--phi", required=True, type=phi_arg, help=f"phi in (0, {PHI_MAX:g}]")
    sh.add_argument("--eps", required=True, type=eps_arg, help=f"eps in [0, {EPS_MAX:g}]")
    sh.add_argument("--n", required=True, type=integer("n", 1), help="matrix size")
    sh.add_argument("--samples", required=True, type=integer("samples", 1),
                    help="number of matrices")
    sh.add_argument("--seed", type=integer("seed", 0), default=0)
    sh.add_argument("--device", default="cpu", choices=DEVICES)
    sh.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    sh.add_argument("--out", required=True, help="output directory (result.json, spectrum.png)")
    sh.add_argument("--method", default="auto", choices=METHODS,
                    help="dense eigenvalues, or matrix-free SLQ / KPM (auto: dense up to "
                         "n = 2048, SLQ above)")
    sh.add_argument("--probes", type=integer("probes", 1), default=32,
                    help="slq/kpm: random probe vectors per matrix (error bars over them)")
    sh.add_argument("--steps", type=integer("steps", 1), default=80,
                    help="slq: Lanczos steps per probe")
    sh.add_argument("--degree", type=integer("degree", 2), default=200,
                    help="kpm: Chebyshev moments (degree/2 products per probe)")
    sh.add_argument("--pdf", action="store_true")
    sh.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(func=hessian)


def hessian(args):
    from ..experiments import simulate_hessian
    res = simulate_hessian(args.phi, args.eps, args.n, args.samples, seed=args.seed,
                           device=args.device, dtype=args.dtype, out=args.out, pdf=args.pdf,
                           progress=not args.no_progress, method=args.method,
                           probes=args.probes, steps=args.steps, degree=args.degree)

    def human(r):
        se = f" +- {r['index_stderr']:.2g}" if r["index_stderr"] is not None else ""
        return "\n".join([
            f"Pennington-Bahri Hessian, n = {r['n']} (m = {r['m']}, phi = n/m = "
            f"{r['phi_effective']:.6g}), eps = {r['eps']:g}, {r['samples']} samples, "
            f"seed {r['seed']}, {r['device']}",
            f"  index: simulated {r['empirical_index']:.6g}{se}, theory {r['theory_index']:.6g}",
            f"  KS distance {r['ks_distance']:.3g}" + (f", L1 distance {r['l1_distance']:.3g}"
                                                        if r["l1_distance"] is not None else ""),
            f"  {r['seconds']:.2f} s; wrote {', '.join(r.get('files', []))} in {args.out}"])
    emit(res, args.json, human)
    return 0


def _add_spinglass(ssub):
    sg = ssub.add_parser("spinglass", help="spherical p-spin: critical points from random starts")
    sg.add_argument("--p", required=True, type=integer("p", 2), help="p in {2, 3, 4}")
    sg.add_argument("--N", required=True, type=integer("N", 2), help="number of spins")
    sg.add_argument("--starts", required=True, type=integer("starts", 1))
    sg.add_argument("--seed", type=integer("seed", 0), default=0)
    sg.add_argument("--device", default="cpu", choices=DEVICES)
    sg.add_argument("--out", required=True, help="output directory (result.json, spinglass.png)")
    sg.add_argument("--pdf", action="store_true")
    sg.add_argument("--no-progress", action="store_true")
    sg.add_argument("--json", action="store_true")
    sg.set_defaults(func=spinglass)


def spinglass(args):
    from ..experiments import simulate_spinglass
    res = simulate_spinglass(args.p, args.N, args.starts, seed=args.seed, device=args.device,
                             out=args.out, pdf=args.pdf, progress=not args.no_progress)

    def human(r):
        m = (f", minima energy {r['minima_energy_mean']:.4f}" if r["minima_energy_mean"]
             is not None else "")
        return "\n".join([
            f"Spherical {r['p']}-spin glass, N = {r['N']}, {r['starts']} starts, seed "
            f"{r['seed']}, {r['device']}",
            f"  {r['critical_points']} distinct critical points, {r['minima']} minima{m}",
            f"  band [-E_0, -E_inf] = [{-r['E_0']:.4f}, {-r['E_inf']:.4f}]; max |grad|/N "
            f"{r['max_gradient_norm']:.2e}",
            f"  {r['seconds']:.2f} s; wrote {', '.join(r.get('files', []))} in {args.out}"])
    emit(res, args.json, human)
    return 0


def _add_network(ssub):
    sn = ssub.add_parser("network", help="a real network's critical points against the theory")
    sn.add_argument("--hidden", required=True, type=integer("hidden", 1), help="hidden width")
    sn.add_argument("--depth", type=integer("depth", 1), default=1, help="hidden layers")
    sn.add_argument("--inputs", required=True, type=integer("inputs", 1),
                    help="input dimension; with --data digits the pooled image size, 64, 16, "
                         "4 or 1 (8x8 pooled by 1, 2, 4, 8), which sets --downsample; the "
                         "JSON's inputs is what the network gets after constant pixels are "
                         "dropped (and PCA), beside pixels and inputs_note")
    sn.add_argument("--outputs", required=True, type=integer("outputs", 1))
    sn.add_argument("--samples", required=True, type=integer("samples", 1))
    sn.add_argument("--activation", default="tanh",
                    choices=["linear", "tanh", "softplus", "relu", "leaky_relu"],
                    help="hidden nonlinearity; relu and leaky_relu get their almost-everywhere "
                         "Hessian (sigma'' = 0 off the kinks, as autograd)")
    sn.add_argument("--data", default="gaussian", choices=["gaussian", "teacher", "digits"])
    sn.add_argument("--starts", type=integer("starts", 1), default=16,
                    help="random networks; each starts a search after every --steps count")
    sn.add_argument("--steps", type=integer("steps", 0), nargs="+", default=[0, 5, 20, 80, 300],
                    help="gradient-descent steps after which the searches start (so they "
                         "begin at a range of losses); 0 alone: plain random starts")
    sn.add_argument("--reference-samples", type=integer("reference-samples", 0), default=3,
                    help="PB-model draws behind each freeness distance's noise reference")
    sn.add_argument("--null-draws", type=integer("null-draws", 1), default=None,
                    help="Haar rotations of each point's own H1 behind the freeness p-values "
                         "(default 100)")
    sn.add_argument("--downsample", type=int, choices=[1, 2, 4, 8], default=None,
                    help="digits only: average-pool the 8x8 images by this factor (default: "
                         "the one --inputs implies; one that disagrees with --inputs, e.g. "
                         "--inputs 16 --downsample 4, exits 2)")
    sn.add_argument("--whiten", choices=["zca", "pca"], default=None,
                    help="digits only: whiten the standardised pixels (PB's preprocessing)")
    sn.add_argument("--maxiter", type=integer("maxiter", 1), default=200)
    sn.add_argument("--seed", type=integer("seed", 0), default=0)
    sn.add_argument("--device", default="cpu", choices=DEVICES)
    sn.add_argument("--out", required=True, help="output directory (result.json, points.npz, "
                    "network.png)")
    sn.add_argument("--pdf", action="store_true")
    sn.add_argument("--no-progress", action="store_true")
    sn.add_argument("--json", action="store_true")
    sn.set_defaults(func=network)


def network(args):
    from ..experiments import simulate_network
    res = simulate_network(args.hidden, args.inputs, args.outputs, args.samples,
                           depth=args.depth, activation=args.activation, data=args.data,
                           starts=args.starts, steps=args.steps,
                           reference_samples=args.reference_samples,
                           downsample=args.downsample, whiten=args.whiten or False,
                           seed=args.seed, device=args.device,
                           maxiter=args.maxiter, out=args.out, pdf=args.pdf,
                           progress=not args.no_progress,
                           **({} if args.null_draws is None else {"null_draws": args.null_draws}))

    def human(r):
        pts = r["critical_points"]
        idx = sorted({p["index_count"] for p in pts})
        return "\n".join([
            f"{r['activation']} network, {r['parameters']} parameters, phi = {r['phi']:.4g}, "
            f"{r['data']} data (m = {r['samples']}), {r['searches']} searches ({r['starts']} "
            f"networks x {len(r['steps'])} descent snapshots), seed {r['seed']}, "
            f"{r['device']}",
            f"  {len(pts)} distinct critical points (index counts {idx}); rejected: "
            f"{r['rejected_gradient_flat']} gradient-flat, {r['at_infinity']} at infinity",
            f"  {r['seconds']:.2f} s; wrote {', '.join(r.get('files', []))} in {args.out}"])
    emit(res, args.json, human)
    return 0


#: the options of ``simulate trained`` that set a TrainedConfig field of the same name
TRAINED_FIELDS = ("widths", "networks", "classes", "hessian_width", "hessian_networks",
                  "hessian_activation", "inputs", "downsample", "train_size", "bias", "init",
                  "optimizer", "momentum", "lr", "lr_decay", "batch_size", "epochs", "stop",
                  "patience", "tol", "grad_tol", "seed", "device")


def _add_trained(ssub):
    st = ssub.add_parser("trained", help="many networks trained by SGD on the digits: loss "
                         "spread against width (CHO15), Hessian bulk and outliers against K; "
                         "every option's default is rmtland.experiments.trained.TrainedConfig's"
                         " (the papers' recipe)")
    st.add_argument("--widths", required=True, type=integer("widths", 1), nargs="+",
                    help="hidden widths (distinct integers >= 1)")
    st.add_argument("--networks", type=integer("networks", 2), help="networks per width")
    st.add_argument("--activation", nargs="+", help="relu and/or tanh (part 1)")
    st.add_argument("--classes", type=integer("classes", 2), nargs="+",
                    help="numbers of digit classes K in 2..10 for the Hessian part")
    st.add_argument("--no-hessian", action="store_true", help="no Hessian part")
    st.add_argument("--hessian-width", type=integer("hessian_width", 1))
    st.add_argument("--hessian-networks", type=integer("hessian_networks", 1))
    st.add_argument("--hessian-activation", help="relu or tanh (part 2)")
    st.add_argument("--recipe", default="papers", choices=["papers", "old"],
                    help="the defaults the other options change: papers (unit inputs at 8x8, "
                         "biases, He init, plain SGD, constant step, fixed epochs) or old "
                         "(momentum 0.9, step decay 10, plateau stop, standardised 4x4 inputs, "
                         "no biases, LeCun init, batch 64)")
    st.add_argument("--inputs", help="unit (pixels/16 in [0, 1]), standardise or whiten")
    st.add_argument("--downsample", type=whole, help="1, 2 or 4 (8x8 average-pooled)")
    st.add_argument("--train-size", type=whole,
                    help="training images (default: all of the training half)")
    st.add_argument("--bias", action=argparse.BooleanOptionalAction, default=None,
                    help="biases in both layers")
    st.add_argument("--init", help="he or lecun")
    st.add_argument("--optimizer", help="sgd (plain) or momentum (heavy ball, --momentum)")
    st.add_argument("--momentum", type=float)
    st.add_argument("--lr", type=float, help="step size")
    st.add_argument("--lr-decay", type=float,
                    help="tau: step lr/(1 + (e-1)/tau) in epoch e; 0: constant")
    st.add_argument("--batch-size", type=whole)
    st.add_argument("--epochs", type=whole,
                    help="epochs (a fixed count), or their cap under --stop")
    st.add_argument("--stop", help="none (fixed epochs), plateau (--patience, --tol) or "
                                   "gradient (|g| <= --grad-tol |g0|)")
    st.add_argument("--patience", type=whole)
    st.add_argument("--tol", type=float)
    st.add_argument("--grad-tol", type=float,
                    help="the gradient rule's fraction and the 'converged' threshold")
    st.add_argument("--seed", type=integer("seed", 0))
    st.add_argument("--device", default=None, choices=DEVICES)
    st.add_argument("--out", required=True, help="output directory (result.json, "
                    "trained_losses.png, trained_hessian.png)")
    st.add_argument("--pdf", action="store_true")
    st.add_argument("--no-progress", action="store_true")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=trained)


def trained(args):
    from ..experiments.trained import OLD_RECIPE, TrainedConfig, simulate_trained
    base = TrainedConfig(**OLD_RECIPE) if args.recipe == "old" else TrainedConfig()
    fields = {k: getattr(args, k) for k in TRAINED_FIELDS if getattr(args, k) is not None}
    if args.activation is not None:
        fields["activations"] = args.activation
    if args.no_hessian:
        fields["classes"] = ()
    res = simulate_trained(base, out=args.out, pdf=args.pdf, progress=not args.no_progress,
                           **fields)

    def human(r):
        c = r["config"]
        lines = [f"{r['networks']} networks per width, {', '.join(r['activations'])}, "
                 f"{c['optimizer']} lr {c['lr']} batch {c['batch_size']}, {c['epochs']} epochs"
                 f" (stop: {c['stop']}), inputs {c['inputs']}, seed {r['seed']}, "
                 f"{r['device']}"]
        for w in r["widths"]:
            corr = ("n/a" if w["correlation"] is None else f"{w['correlation']:.3f} "
                    f"[{w['correlation_lo']:.3f}, {w['correlation_hi']:.3f}]")
            lines.append(f"  {w['activation']} width {w['width']}: train {w['train_mean']:.4f}"
                         f" ± {w['train_std']:.4f}, test {w['test_mean']:.4f} ± "
                         f"{w['test_std']:.4f}, corr {corr}, converged "
                         f"{w['converged_fraction']:.0%} (median |g|/|g0| "
                         f"{w['grad_ratio_median']:.3g})")
        f = r["spread_fit"]
        if f:
            se = "n/a" if f["stderr"] is None else f"{f['stderr']:.3f}"
            lines.append(f"  {f['activation']} test spread: slope {f['slope']:.3f} ± {se} "
                         f"(log std against log width)")
        for h in r["hessian"]:
            lines.append(f"  K = {h['classes']}: {h['outliers_mean']:.1f} outliers, bulk edge "
                         f"{h['bulk_edge']:.3g}, KS {h['ks_bulk']}")
        lines.append(f"  {r['seconds']:.1f} s; wrote {', '.join(r.get('files', []))} in "
                     f"{args.out}")
        return "\n".join(lines)
    emit(res, args.json, human)
    return 0
