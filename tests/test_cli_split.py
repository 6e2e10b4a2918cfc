"""The command line behaves as before its split into ``rmtland/cli/`` (issue 21): the help of
every command (``rmtland*.txt``, at ``COLUMNS=100``), what every option that takes a value
answers to each of :data:`VALUES` (``options.json``: its type, range and choices), and the exit
code and stderr of quick bad-input cases (``errors.json``) equal the files in
``tests/data/cli_help/``.  All were written by the single-module ``rmtland/cli.py`` of commit
a922844 (``options.json`` from ``git archive a922844``), before the split.

A command added later needs its files: regenerate the help and ``options.json`` with
``python tests/test_cli_split.py`` (and read the diff).
"""
import argparse
import json
import sys
from pathlib import Path

import pytest

from rmtland import cli

DATA = Path(__file__).resolve().parent / "data" / "cli_help"
COLUMNS = "100"

#: the help files were written on Python 3.11; 3.12.1 lays out all 17 the same, 3.13.0 wraps
#: the usage of ``simulate network`` differently (the option values, errors.json and
#: options.json are the same on both)
HELP_LAYOUT = sys.version_info < (3, 13)


def commands(parser=None, path=()):
    """(path, parser) of the top-level parser and of every (sub)command, in help order."""
    parser = parser or cli.build_parser()
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, path + (name,))


def help_file(path):
    return DATA / ("_".join(("rmtland",) + path) + ".txt")


def test_every_command_has_a_help_file():
    """No command lost, none added without its pinned help."""
    assert sorted(help_file(p).name for p, _ in commands()) == \
        sorted(f.name for f in DATA.glob("rmtland*.txt"))


@pytest.mark.skipif(not HELP_LAYOUT, reason="the help files hold the usage layout of "
                    "Python 3.10-3.12's argparse")
@pytest.mark.parametrize("path", [p for p, _ in commands()], ids=" ".join)
def test_help_unchanged(monkeypatch, path):
    monkeypatch.setenv("COLUMNS", COLUMNS)
    parser = dict(commands())[path]
    assert parser.format_help() == help_file(path).read_text()


def _cases():
    errors = DATA / "errors.json"
    return json.loads(errors.read_text()) if errors.exists() else []


@pytest.mark.parametrize("case", _cases(), ids=lambda c: " ".join(c["argv"])[:60])
def test_bad_input_unchanged(tmp_path, capsys, case):
    """Exit code 2 and the one line on stderr, before any computing ({tmp}: a fresh folder
    holding a file ``afile`` and a two-value spectrum ``eig.txt``)."""
    (tmp_path / "afile").write_text("x")
    (tmp_path / "eig.txt").write_text("1\n2\n")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in case["argv"]]
    try:
        code = cli.main(argv)
    except SystemExit as exc:           # argparse's own errors
        code = exc.code
    out, err = capsys.readouterr()
    assert (code, out, err) == (case["rc"], "",
                                case["stderr"].replace("{tmp}", str(tmp_path)))


#: values given to every option that takes one: each is refused by some option's type,
#: range or choices; "--zzz" (unknown) ends the line, so no command ever runs
VALUES = ["0", "-1", "1.5", "abc"]


def option_cases(path, parser):
    """(argv, exit code, stderr) of ``rmtland PATH --option VALUE --zzz`` for every option of
    ``parser`` that takes a value and every VALUES (argparse alone answers: exit 2)."""
    import contextlib
    import io
    for action in parser._actions:
        if not action.option_strings or action.nargs == 0:
            continue
        for value in VALUES:
            argv = list(path) + [action.option_strings[0], value, "--zzz"]
            err = io.StringIO()
            with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exc:
                parser.parse_args(argv[len(path):])
            yield argv, exc.value.code, err.getvalue()


def _options():
    options = DATA / "options.json"
    return json.loads(options.read_text()) if options.exists() else {}


@pytest.mark.parametrize("path", [p for p, _ in commands()], ids=" ".join)
def test_option_values_unchanged(path):
    """Every option's type, range and choices: what each of VALUES gets, as before."""
    parser = dict(commands())[path]
    assert [list(c) for c in option_cases(path, parser)] == _options()[" ".join(path)]


def _regenerate(recorded=None):
    """Write the help files from the current code; with ``recorded`` (an invocations.json of
    subprocess runs whose folder was ``/tmp/cli_rec``), also errors.json from its quick cases."""
    import os
    os.environ["COLUMNS"] = COLUMNS
    DATA.mkdir(parents=True, exist_ok=True)
    for path, parser in commands():
        help_file(path).write_text(parser.format_help())
    cases = {" ".join(path): [list(c) for c in option_cases(path, parser)]
             for path, parser in commands()}
    (DATA / "options.json").write_text(json.dumps(cases, indent=0) + "\n")
    if recorded:
        slow = ("none.toml", "bad.toml --out", "--torch nomodule", "--torch simulations", "1e12")
        cases = [{"argv": [a.replace("/tmp/cli_rec", "{tmp}") for a in r["argv"]],
                  "rc": r["rc"], "stderr": r["stderr"].replace("/tmp/cli_rec", "{tmp}")}
                 for r in json.loads(Path(recorded).read_text())
                 if r["rc"] == 2 and not any(s in " ".join(r["argv"]) for s in slow)]
        (DATA / "errors.json").write_text(json.dumps(cases, indent=1) + "\n")


if __name__ == "__main__":
    _regenerate(*sys.argv[1:])


def test_stated_defaults_are_the_studies():
    """The defaults a help line states in words are the study's own (FitConfig,
    SpectrumConfig, simulate_network), which alone set them: the options default to None."""
    import inspect

    from rmtland.experiments import simulate_network
    from rmtland.experiments.fit import FitConfig
    from rmtland.experiments.spectrum import SpectrumConfig
    helps = {(path, a.dest): a.help for path, p in commands() for a in p._actions}
    assert f"(default {FitConfig.rule})" in helps[("fit",), "outliers"]
    assert f"(default {SpectrumConfig.top})" in helps[("spectrum",), "top"]
    assert f"(default {' '.join(SpectrumConfig.parts)})" in helps[("spectrum",), "part"]
    assert SpectrumConfig.fit_phi == "architecture"
    assert "n/(km) of the model (default)" in helps[("spectrum",), "fit_phi"]
    null_draws = inspect.signature(simulate_network).parameters["null_draws"].default
    assert f"(default {null_draws})" in helps[("simulate", "network"), "null_draws"]


def test_options_set_the_configuration():
    """Options not given leave the configuration's defaults; given ones, zeros included,
    set their field (a list as a tuple)."""
    from rmtland.cli import fit, spectrum
    from rmtland.experiments.fit import FitConfig
    from rmtland.experiments.spectrum import SpectrumConfig
    parse = cli.build_parser().parse_args
    assert fit.config(parse(["fit", "s.npy", "--out", "o"])) == FitConfig()
    assert fit.config(parse(["fit", "s.npy", "--out", "o", "--outliers", "none", "--spikes",
                             "2", "3", "--seed", "0", "--phi", "0.25"])) == \
        FitConfig(rule="none", spikes=(2.0, 3.0), seed=0, phi=0.25)
    torch = ["spectrum", "--torch", "m:f", "--out", "o"]
    assert spectrum.config(parse(torch)) == SpectrumConfig(target="m:f")
    assert spectrum.config(parse(torch + ["--part", "H0", "H1", "--top", "0", "--tau", "0",
                                          "--each-layer"])) == \
        SpectrumConfig(target="m:f", parts=("H0", "H1"), top=0, tau=0.0, each_layer=True)
