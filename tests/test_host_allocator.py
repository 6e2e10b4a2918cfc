"""The engine's one process-wide setting: glibc's heap top pad (rmtland._backend.
tune_host_allocator; the measured reason is in its docstring). Each case runs in a fresh
interpreter, since this process may have set it already."""
import os
import subprocess
import sys

import pytest

CODE = """
import numpy as np
from rmtland import _backend
from rmtland.networks import MLP
assert not _backend._allocator_tuned
model = MLP([3, 4, 2])
model.loss(model.init(2, rng=0), np.ones((5, 3)), np.zeros((5, 2)))
print(_backend._allocator_tuned, _backend.tune_host_allocator())
"""


def _run(**env):
    full = {k: v for k, v in os.environ.items()
            if k not in ("MALLOC_TOP_PAD_", "RMTLAND_NO_MALLOPT")}
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                         env={**full, **env}, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_first_engine_call_tunes_once():
    # the engine's first host call ran it; a second call does nothing and says so
    assert _run() == ["True", "False"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_set_on_glibc_unless_the_user_opted_out():
    code = "from rmtland import _backend; print(_backend.tune_host_allocator())"
    env = {k: v for k, v in os.environ.items()
           if k not in ("MALLOC_TOP_PAD_", "RMTLAND_NO_MALLOPT")}
    libc = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None
    for extra, expected in (({}, str(bool(libc and libc.startswith("glibc")))),
                            ({"RMTLAND_NO_MALLOPT": "1"}, "False"),
                            ({"MALLOC_TOP_PAD_": "131072"}, "False")):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**env, **extra}, timeout=120)
        assert out.stdout.strip() == expected, (extra, out.stderr)
