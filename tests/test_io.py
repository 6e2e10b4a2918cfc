"""Atomic output (rmtland._io, DESIGN.md "Contracts"): a result file is complete or absent.

After a failed write there is no new file and no temporary file, and a file already at the
path is left byte for byte as it was."""
import json
import os

import pytest

from rmtland import _io
from rmtland._validate import InputError


class _Boom(RuntimeError):
    pass


class _FailingFigure:
    """Stands in for a matplotlib Figure whose savefig writes part of the image, then fails."""

    def savefig(self, fh, format=None, **kwargs):
        fh.write(b"\x89PNG\r\n\x1a\n partial")
        fh.flush()
        raise _Boom("savefig failed half-way")


class _Figure:
    def savefig(self, fh, format=None, **kwargs):
        fh.write(f"{format} {sorted(kwargs.items())}".encode())


def _listing(directory):
    """The files in ``directory``, the run manifest aside (tested on its own below)."""
    return sorted(n for n in os.listdir(directory) if n != _io.MANIFEST)


def test_write_json_writes_and_refuses_nan(tmp_path):
    path = tmp_path / "sub" / "r.json"                 # the directory is created
    _io.write_json(path, {"a": [1, 2.5], "b": None})
    assert json.loads(path.read_text()) == {"a": [1, 2.5], "b": None}
    assert _listing(path.parent) == ["r.json"]
    with pytest.raises(ValueError):
        _io.write_json(path, {"a": float("nan")})
    assert json.loads(path.read_text()) == {"a": [1, 2.5], "b": None}
    assert _listing(path.parent) == ["r.json"]


@pytest.mark.parametrize("existing", [False, True])
def test_write_json_not_serialisable_leaves_nothing(tmp_path, existing):
    path = tmp_path / "result.json"
    if existing:
        path.write_text('{"old": true}\n')
    with pytest.raises(TypeError):
        _io.write_json(path, {"x": object()})
    assert _listing(tmp_path) == (["result.json"] if existing else [])
    if existing:
        assert path.read_text() == '{"old": true}\n'


@pytest.mark.parametrize("existing", [False, True])
def test_save_figure_failure_leaves_nothing(tmp_path, existing):
    """savefig raises after writing part of the file: the temporary file is removed, the
    error propagates, and an existing figure at the path is intact."""
    path = tmp_path / "fig.png"
    if existing:
        path.write_bytes(b"old image")
    with pytest.raises(_Boom):
        _io.save_figure(_FailingFigure(), str(path), dpi=50)
    assert _listing(tmp_path) == (["fig.png"] if existing else [])
    if existing:
        assert path.read_bytes() == b"old image"


def test_failure_at_the_rename_leaves_nothing(tmp_path, monkeypatch):
    """Interrupted between the complete temporary file and the rename (e.g. Ctrl-C, a full
    disk): the temporary file is removed, the old file is intact."""
    path = tmp_path / "result.json"
    path.write_text("old\n")

    def interrupted(src, dst):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _io.write_json(path, {"new": 1})
    assert _listing(tmp_path) == ["result.json"] and path.read_text() == "old\n"


def test_save_figure_format_from_suffix_and_permissions(tmp_path):
    _io.save_figure(_Figure(), str(tmp_path / "a.pdf"), dpi=50)
    assert (tmp_path / "a.pdf").read_bytes() == b"pdf [('dpi', 50)]"
    umask = os.umask(0)
    os.umask(umask)
    # mkstemp creates 0600; the result has the usual permissions of a new file
    assert (tmp_path / "a.pdf").stat().st_mode & 0o777 == 0o666 & ~umask
    assert _listing(tmp_path) == ["a.pdf"]


@pytest.mark.parametrize("out", ["", "   "])
def test_empty_out_is_refused(out, tmp_path, monkeypatch):
    """``--out ''`` used to write into the current directory and exit 0."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"^out must name a directory, got "):
        _io.check_output_dir(out, "out")
    from rmtland.cli import main
    code = main(["simulate", "spinglass", "--p", "3", "--N", "6", "--starts", "2",
                 "--no-progress", "--out", out])
    assert code == 2 and os.listdir(tmp_path) == []


def test_manifest_lists_the_run_and_removes_only_its_files(tmp_path):
    out = tmp_path / "d"
    for names in (["a.json", "b.png"], ["a.json", "c.png"]):
        with _io.RunDirectory(out) as run:
            for n in names:
                open(os.path.join(run.path, n), "w").write(n)
            run.commit()
        assert _listing(out) == names and _io.read_manifest(out) == names
    (out / "user.txt").write_text("x")
    with _io.RunDirectory(out) as run:
        run.commit()                                    # a run that writes nothing
    assert _listing(out) == ["user.txt"] and _io.read_manifest(out) == []


@pytest.mark.parametrize("files", [["../escape.txt"], ["/etc/passwd"], [".."], "a.json", [3]])
def test_a_bad_manifest_never_removes_outside(tmp_path, files):
    out = tmp_path / "d"
    out.mkdir()
    (tmp_path / "escape.txt").write_text("keep")
    (out / _io.MANIFEST).write_text(json.dumps({"files": files}))
    assert _io.read_manifest(out) == []
    with _io.RunDirectory(out) as run:
        run.commit()
    assert (tmp_path / "escape.txt").read_text() == "keep"
