"""Atomic output: a result file is complete or absent, never truncated."""
import json
import os
import tempfile


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


def save_figure(fig, path, **kwargs):
    """Save a matplotlib figure to ``path`` atomically, in the format of its suffix."""
    fmt = os.path.splitext(path)[1].lstrip(".") or "png"
    _atomic(path, lambda fh: fig.savefig(fh, format=fmt, **kwargs), "wb")
