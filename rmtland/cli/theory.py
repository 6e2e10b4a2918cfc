"""``rmtland theory hessian|spinglass``: the analytic predictions (no sampling)."""
from .._version import __version__
from ..analytic.hessian import EPS_MAX, PHI_MAX
from ..analytic.spinglass import U_MAX
from ._args import Parser, emit, eps_arg, integer, phi_arg, u_arg


def add_parser(subparsers):
    theory = subparsers.add_parser("theory", help="analytic predictions")
    tsub = theory.add_subparsers(dest="model", required=True, parser_class=Parser)
    th = tsub.add_parser("hessian", help="Pennington-Bahri Hessian: index, eps_c, alpha0, "
                         "support, moments")
    th.add_argument("--phi", required=True, type=phi_arg,
                    help=f"phi in (0, {PHI_MAX:g}]: parameters / (outputs x samples)")
    th.add_argument("--eps", required=True, type=eps_arg,
                    help=f"eps in [0, {EPS_MAX:g}]: the loss")
    th.add_argument("--json", action="store_true", help="print one JSON object")
    th.set_defaults(func=hessian)

    ts = tsub.add_parser("spinglass", help="spherical p-spin: E_inf, thresholds E_k, complexities")
    ts.add_argument("--p", required=True, type=integer("p", 2), help="interaction order p >= 2")
    ts.add_argument("--k", type=integer("k", 0), nargs="+", help="indices k >= 0 (default 0)")
    ts.add_argument("--u", type=u_arg,
                    help=f"energy per site at which to evaluate, |u| <= {U_MAX:g}")
    ts.add_argument("--json", action="store_true", help="print one JSON object")
    ts.set_defaults(func=spinglass)


def hessian(args):
    from ..analytic.hessian import PenningtonBahri, alpha0, eps_c
    law = PenningtonBahri(args.phi, args.eps)
    obj = {"phi": args.phi, "eps": args.eps, "index": law.index(), "eps_c": eps_c(args.phi),
           "alpha0": alpha0(args.phi) if args.phi < 1 else None,
           "support": law.support(),
           "atoms": [[loc, mass] for loc, mass in law.atoms()],
           "moments": law.moments(4).tolist(),
           "version": __version__}
    if args.phi >= 1:
        obj["alpha0_note"] = "undefined for phi >= 1: eps_c = 0 and the index jumps at eps = 0+"

    def human(o):
        lines = [f"Pennington-Bahri Hessian, phi = {o['phi']:g}, eps = {o['eps']:g}",
                 f"  index alpha        = {o['index']:.15g}",
                 f"  critical eps_c     = {o['eps_c']:.15g}",
                 "  3/2-law alpha0     = " + (f"{o['alpha0']:.15g}" if o["alpha0"] is not None
                                               else o["alpha0_note"]),
                 "  support            = " + ", ".join(f"[{a:.12g}, {b:.12g}]"
                                                       for a, b in o["support"]),
                 "  moments m1..m4     = " + ", ".join(f"{m:.12g}" for m in o["moments"])]
        if o["atoms"]:
            lines.append("  atoms (loc, mass)  = " + ", ".join(f"({a:g}, {m:.12g})"
                                                             for a, m in o["atoms"]))
        return "\n".join(lines)
    emit(obj, args.json, human)
    return 0


def spinglass(args):
    from ..analytic import spinglass as sg
    ks = args.k if args.k else [0]
    obj = {"p": args.p, "E_inf": sg.E_inf(args.p),
           "E_k": {str(k): sg.threshold(k, args.p) for k in ks},
           "complexity_at_E_inf": float(sg.complexity_index([-sg.E_inf(args.p)], args.p, 0)[0]),
           "version": __version__}
    if args.u is not None:
        obj["u"] = args.u
        obj["complexity_total"] = float(sg.complexity_total([args.u], args.p)[0])
        obj["complexity_by_index"] = {str(k): float(sg.complexity_index([args.u], args.p, k)[0])
                                      for k in ks}
        obj["index_fraction"] = float(sg.index_fraction([args.u], args.p)[0])

    def human(o):
        lines = [f"Spherical {o['p']}-spin spin glass (ABC13)",
                 f"  E_inf = {o['E_inf']:.15g}"]
        lines += [f"  E_{k} = {v:.15g}  (threshold -E_{k})" for k, v in o["E_k"].items()]
        if "u" in o:
            lines.append(f"  at u = {o['u']:g}: Theta_p = {o['complexity_total']:.12g}, "
                         + ", ".join(f"Theta_{k},p = {v:.12g}"
                                     for k, v in o["complexity_by_index"].items())
                         + f", index fraction {o['index_fraction']:.6g}")
        return "\n".join(lines)
    emit(obj, args.json, human)
    return 0
