"""The argparse pieces every command group shares: the parser class, the option types that
validate with :mod:`rmtland._validate` (so a bad value exits 2 naming the parameter and its
range), the printing of a result, and the choices several commands offer."""
import argparse
import json
import re

from .. import _validate
from ..analytic.hessian import EPS_MAX, PHI_MAX
from ..analytic.spinglass import U_MAX

#: ``--device`` of every computing command
DEVICES = ["cpu", "gpu", "auto"]
#: ``--method`` of the spectrum commands
METHODS = ["auto", "dense", "slq", "kpm"]

#: what argparse must read as a (negative) number rather than an option: every spelling of
#: a float that starts with "-", scientific notation and -inf/-nan included, so that the
#: validator (not argparse) decides and names the range
NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$",
                             re.IGNORECASE)


class Parser(argparse.ArgumentParser):
    """An argument parser that reads negative numbers as values and exits 2 on an error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_NUMBER

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def checked(parse, check):
    """argparse type: ``parse`` the text (a non-number is passed on as text) and validate it
    with a :mod:`rmtland._validate` check, whose message names the parameter and its range."""
    def convert(text):
        try:
            value = parse(text)
        except ValueError:
            value = text
        try:
            return check(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return convert


def real(name, check=_validate.finite):
    """argparse type: a real number ``name`` passing ``check(name, value)``."""
    return checked(float, lambda v: check(name, v))


def _whole(text):
    """An integer option's text: ``int`` spellings, and a float spelling of a whole number
    (``1e8``, ``2.0``) as that number, so the size checks (not the parser) judge it;
    ``1.5``, ``inf`` or ``nan`` stay refused by :func:`rmtland._validate.integer`."""
    try:
        return int(text)
    except ValueError:
        value = float(text)
        return int(value) if value.is_integer() else value


#: argparse names a type in its error for a non-number ("invalid _whole value: 'abc'", as
#: before the split into rmtland/cli/), so the function keeps that name
whole = _whole


def integer(name, minimum):
    """argparse type: an integer ``name`` >= ``minimum``."""
    return checked(whole, lambda v: _validate.integer(name, v, minimum))


#: argparse types of the Pennington-Bahri phi and eps and the spin-glass energy u
phi_arg = checked(float, lambda v: _validate.positive("phi", v, PHI_MAX))
eps_arg = checked(float, lambda v: _validate.nonnegative("eps", v, EPS_MAX))
u_arg = checked(float, lambda v: _validate.finite("u", v, U_MAX))


def given(config, **options):
    """The configuration dataclass ``config`` with the options given on the command line
    (``None``: not given, so ``config``'s default stands; a list becomes a tuple)."""
    return config(**{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()
                     if v is not None})


def emit(obj, as_json, human):
    """Print ``obj`` as one JSON object, or as ``human(obj)``."""
    if as_json:
        print(json.dumps(obj, allow_nan=False))
    else:
        print(human(obj))
