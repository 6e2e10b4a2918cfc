"""The command line behaves as before its split into ``rmtland/cli/`` (issue 21): the help of
every command, and the exit code and stderr of the quick bad-input cases, equal the files in
``tests/data/cli_help/``, which were written by the single-module ``rmtland/cli.py`` (commit
"tests/data/cli_help: ...", before the split) at ``COLUMNS=100``.

A command added later needs its help file: regenerate them with
``python tests/test_cli_split.py`` (and look at the diff).
"""
import argparse
import json
import sys
from pathlib import Path

import pytest

from rmtland import cli

DATA = Path(__file__).resolve().parent / "data" / "cli_help"
COLUMNS = "100"

# argparse's layout of usage lines and metavars changed in Python 3.13 (and 3.14 colours the
# help); the files were written on Python 3.11, whose layout 3.10 and 3.12 share
pytestmark = pytest.mark.skipif(sys.version_info >= (3, 13),
                                reason="help files written with the argparse of Python 3.10-3.12")


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


def _regenerate(recorded=None):
    """Write the help files from the current code; with ``recorded`` (an invocations.json of
    subprocess runs whose folder was ``/tmp/cli_rec``), also errors.json from its quick cases."""
    import os
    os.environ["COLUMNS"] = COLUMNS
    DATA.mkdir(parents=True, exist_ok=True)
    for path, parser in commands():
        help_file(path).write_text(parser.format_help())
    if recorded:
        slow = ("none.toml", "bad.toml --out", "--torch nomodule", "--torch simulations", "1e12")
        cases = [{"argv": [a.replace("/tmp/cli_rec", "{tmp}") for a in r["argv"]],
                  "rc": r["rc"], "stderr": r["stderr"].replace("/tmp/cli_rec", "{tmp}")}
                 for r in json.loads(Path(recorded).read_text())
                 if r["rc"] == 2 and not any(s in " ".join(r["argv"]) for s in slow)]
        (DATA / "errors.json").write_text(json.dumps(cases, indent=1) + "\n")


if __name__ == "__main__":
    _regenerate(*sys.argv[1:])
