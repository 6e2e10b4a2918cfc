"""``rmtland verify``: every derivation check of :mod:`rmtland.derivations`."""
import json


def add_parser(subparsers):
    ver = subparsers.add_parser("verify", help="run every derivation check (non-zero exit on "
                                "failure)")
    ver.add_argument("--json", action="store_true")
    ver.set_defaults(func=run)


def run(args):
    """Exit 0 when every check passes, else 1."""
    from ..derivations import run_all
    derivations = run_all()
    checks = [c for d in derivations for c in d.checks]
    if args.json:
        print(json.dumps({"checks": [dict(c.as_dict(), derivation=d.title) for d in derivations
                                     for c in d.checks],
                          "passed": all(c.passed for c in checks)}, allow_nan=False))
    else:
        for d in derivations:
            print(d.title)
            for c in d.checks:
                print("  " + c.line())
        print(f"{sum(c.passed for c in checks)}/{len(checks)} checks passed")
    return 0 if all(c.passed for c in checks) else 1
