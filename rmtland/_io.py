"""Atomic output: a result file is complete or absent, never truncated."""
import json
import os
import shutil
import tempfile

from ._validate import InputError


def _atomic(path, write, mode):
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, mode) as fh:
            write(fh)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)   # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(path, obj):
    """Write ``obj`` as JSON to ``path`` atomically (NaN is refused, not written)."""
    text = json.dumps(obj, indent=2, allow_nan=False, sort_keys=False) + "\n"
    _atomic(path, lambda fh: fh.write(text), "w")


def write_binary(path, write):
    """Write a binary file atomically: ``write(fh)`` fills the open file (e.g. ``np.savez``)."""
    _atomic(path, write, "wb")


def save_figure(fig, path, **kwargs):
    """Save a matplotlib figure to ``path`` atomically, in the format of its suffix."""
    fmt = os.path.splitext(path)[1].lstrip(".") or "png"
    _atomic(path, lambda fh: fig.savefig(fh, format=fmt, **kwargs), "wb")


def check_output_dir(out, name="out"):
    """Reject an output directory that cannot be used, before any computing.

    ``out`` must be a non-empty path (``''`` is refused: say ``'.'`` for the current
    directory), must not be an existing non-directory, and the directory (or, when it does not
    exist yet, its nearest existing ancestor) must accept a new file: a probe file is
    created and removed there, which also catches read-only file systems.  Raises
    :class:`rmtland._validate.InputError` naming ``name``.
    """
    try:
        text = os.fspath(out)
    except TypeError:
        raise InputError(f"{name} must be a directory path (a string), got "
                         f"{type(out).__name__}") from None
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if not text.strip():
        raise InputError(f"{name} must name a directory, got {text!r} (an empty path would "
                         "write into the current directory; give '.' for that)")
    out = os.path.abspath(text)
    if os.path.exists(out) and not os.path.isdir(out):
        raise InputError(f"{name} {out!r} is an existing file, not a directory; give a "
                         "directory (it is created if missing)")
    probe_dir = out
    while not os.path.exists(probe_dir):
        probe_dir = os.path.dirname(probe_dir)
    if not os.path.isdir(probe_dir):
        raise InputError(f"{name} {out!r} lies below {probe_dir!r}, which is not a directory")
    try:
        fd, probe = tempfile.mkstemp(dir=probe_dir, prefix=".tmp-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"{name} {out!r} is not writable ({exc.strerror or exc})") from None
    return out


#: the file in a run directory that lists the files of the run that wrote it (any kind:
#: ``simulate hessian``, ``simulate network``, ``reproduce``, ...), so the next run into that
#: directory removes exactly those it does not rewrite: a directory never mixes two runs
MANIFEST = ".rmtland-run.json"


def read_manifest(out):
    """The file names the last run into ``out`` wrote (its :data:`MANIFEST`), or ``[]`` when
    there is none or it cannot be read (then nothing is removed on its account)."""
    try:
        with open(os.path.join(os.fspath(out), MANIFEST)) as fh:
            files = json.load(fh).get("files", [])
    except (OSError, ValueError, AttributeError):
        return []
    if not isinstance(files, list):
        return []
    # plain names inside ``out`` only: a manifest never makes a run delete elsewhere
    return [f for f in files if isinstance(f, str) and f and f == os.path.basename(f)
            and f not in (".", "..", MANIFEST)]


def write_manifest(out, files):
    """Record ``files`` (names inside ``out``) as the files of the run now in ``out``."""
    write_json(os.path.join(os.fspath(out), MANIFEST), {
        "files": sorted(files),
        "note": "written by rmtland: the files of the run in this directory; the next run "
                "into it removes those it does not rewrite"})


class RunDirectory:
    """Write one run's files into ``out`` as a unit: complete, or not at all.

    The run writes into a fresh temporary directory ``out/.tmp-run-XXXX`` (:attr:`path`);
    :meth:`commit` then removes from ``out`` the files of the previous run that this run does
    not rewrite, moves the new files in and records them in ``out/``:data:`MANIFEST`, with
    SIGINT deferred while it does so, so Ctrl-C never leaves a mix of old and new files.  The
    previous run's files are those of its manifest, whatever its kind (a ``simulate network``
    run into a directory that holds a ``simulate hessian --pdf`` run removes
    ``spectrum.png`` and ``spectrum.pdf``), plus the names in ``owned`` (files this kind may
    write, for directories written before manifests existed); any other file in ``out`` is
    left alone.  On any failure or interrupt before :meth:`commit`, the temporary directory is
    removed and ``out`` is left as it was.  Use as a context manager::

        with RunDirectory(out, owned={"result.json", "spectrum.png", "spectrum.pdf"}) as tmp:
            ...write into tmp.path...
            tmp.commit()
    """

    def __init__(self, out, owned=()):
        self.out = check_output_dir(out)
        self.owned = set(owned)
        self.path = None

    def __enter__(self):
        os.makedirs(self.out, exist_ok=True)
        self.path = tempfile.mkdtemp(dir=self.out, prefix=".tmp-run-")
        return self

    def final(self, path):
        """Where a file written at ``path`` (inside :attr:`path`) lands after the commit."""
        return os.path.join(self.out, os.path.relpath(os.fspath(path), self.path))

    def commit(self):
        """Remove the previous run's files, move this run's in and record them in the
        manifest (SIGINT deferred meanwhile)."""
        import signal
        import threading
        new = sorted(os.listdir(self.path))
        deferred = []
        main = threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGINT, lambda *a: deferred.append(a)) if main else None
        try:
            for name in (set(read_manifest(self.out)) | self.owned) - set(new):
                stale = os.path.join(self.out, name)
                if os.path.isfile(stale) or os.path.islink(stale):
                    os.unlink(stale)
            for name in new:
                os.replace(os.path.join(self.path, name), os.path.join(self.out, name))
            os.rmdir(self.path)
            write_manifest(self.out, new)
        finally:
            if main:
                signal.signal(signal.SIGINT, old)
        if deferred:
            raise KeyboardInterrupt

    def __exit__(self, *exc):
        if self.path is not None and os.path.isdir(self.path):
            shutil.rmtree(self.path, ignore_errors=True)
        return False
