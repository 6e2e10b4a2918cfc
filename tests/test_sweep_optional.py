"""The optional dependencies that change a code path are installed where the suite runs in CI
(RMTLAND_CI, set by .ci/run), and the TOML reader of Python 3.10 (tomli) is exercised on
newer Pythons too, with tomllib made unavailable."""
import importlib
import os
import sys

import pytest

from rmtland._validate import InputError
from rmtland.experiments import sweep

#: module -> the code path it opens
OPTIONAL = {"pyarrow": "the sweep's Parquet table", "distributed": "sweeps on Dask workers",
            "sklearn": "the digits data set", "tomli": "TOML specs on Python 3.10"}


@pytest.mark.skipif(not os.environ.get("RMTLAND_CI"), reason="CI only (.ci/run sets RMTLAND_CI)")
@pytest.mark.parametrize("module", sorted(OPTIONAL))
def test_ci_installs_every_optional_dependency(module):
    try:
        importlib.import_module(module)
    except ImportError:
        pytest.fail(f"{module} ({OPTIONAL[module]}) is not installed: CI installs the test "
                    "extra of setup.cfg, which must list it")


def test_specs_load_with_tomli_when_tomllib_is_missing(tmp_path, monkeypatch):
    """Python 3.10 has no tomllib: the loader falls back to tomli (setup.cfg requires it
    there).  Here tomllib is hidden (None in sys.modules makes its import fail) and tomli is
    watched: the spec is parsed by tomli, to the same dict, and its decoding errors are
    refused as bad input naming the spec."""
    import tomli
    calls = []
    real = tomli.load

    def spy(fh, **kw):
        calls.append(fh.name)
        return real(fh, **kw)
    monkeypatch.setattr(tomli, "load", spy)
    monkeypatch.setitem(sys.modules, "tomllib", None)
    with pytest.raises(ImportError):
        import tomllib  # noqa: F401
    assert sweep.toml_module() is tomli
    path = tmp_path / "spec.toml"
    path.write_text('kind = "spinglass"\nseeds = [1, 4]\n[grid]\np = 3\nN = [6, 8]\n'
                    'starts = { range = [2, 6, 2] }\n')
    spec = sweep.load_spec(path)
    assert calls == [str(path)]
    assert spec == {"kind": "spinglass", "seeds": [1, 4],
                    "grid": {"p": 3, "N": [6, 8], "starts": {"range": [2, 6, 2]}}}
    assert len(sweep.parse_spec(spec).points) == 2 * 2 * 2
    path.write_text('kind = "spinglass" [grid]')
    with pytest.raises(InputError, match="is not valid TOML"):
        sweep.load_spec(path)
