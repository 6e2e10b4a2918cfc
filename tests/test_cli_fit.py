"""``rmtland fit``: the JSON contract, the files written, the input formats and the exit-2
cases (each refused with one line naming the parameter, before anything is computed or
written)."""
import json

import numpy as np
import pytest

from rmtland._validate import InputError
from rmtland.cli import main
from rmtland.experiments.fit import read_spectrum
from rmtland.sampling.hessian import sample_hessian

KEYS = {"law", "params", "ks", "p_value", "edges", "outliers"}


def run(capsys, *argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:          # argparse's own refusals (exit 2)
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def eigs():
    return np.linalg.eigvalsh(sample_hessian(200, 0.5, 0.1, rng=1)[0])


def test_fit_json_and_files(capsys, tmp_path, eigs):
    np.save(tmp_path / "e.npy", eigs)
    out = tmp_path / "run"
    code, stdout, err = run(capsys, "fit", tmp_path / "e.npy", "--law", "pb", "--bootstrap", 3,
                            "--spikes", 3, "--seed", 2, "--out", out, "--json")
    assert code == 0, err
    r = json.loads(stdout)
    assert KEYS <= set(r)
    assert set(r["params"]) == {"phi", "eps"}
    for v in r["params"].values():
        assert set(v) >= {"value", "stderr"} and v["stderr"] > 0
    assert 0 < r["p_value"] <= 1 and r["ks"] > 0
    for o in r["outliers"]:
        assert set(o) >= {"value", "predicted", "spike"}
    assert (out / "fit.png").stat().st_size > 0
    saved = json.loads((out / "result.json").read_text())
    assert saved["params"] == r["params"] and saved["config"]["bootstrap"] == 3
    # the same seed gives the same numbers
    code, stdout2, _ = run(capsys, "fit", tmp_path / "e.npy", "--law", "pb", "--bootstrap", 3,
                           "--spikes", 3, "--seed", 2, "--out", tmp_path / "run2", "--json")
    assert json.loads(stdout2)["params"] == r["params"]


def test_fit_fixed_phi_and_scaled_laws(capsys, tmp_path, eigs):
    np.save(tmp_path / "e.npy", 7.0 * eigs)
    code, stdout, err = run(capsys, "fit", tmp_path / "e.npy", "--law", "mp+semicircle",
                            "--phi", 0.5, "--bootstrap", 2, "--out", tmp_path / "a", "--json")
    assert code == 0, err
    p = json.loads(stdout)["params"]
    assert p["phi"] == {"value": 0.5, "stderr": None, "fixed": True}
    assert set(p) == {"phi", "sigma2", "scale"}
    code, stdout, err = run(capsys, "fit", tmp_path / "e.npy", "--law", "mp", "--outliers",
                            "none", "--bootstrap", 2, "--out", tmp_path / "b")
    assert code == 0 and "scale" in stdout and "KS" in stdout


def test_formats_read_the_same_spectrum(tmp_path, eigs):
    np.save(tmp_path / "e.npy", eigs)
    np.savez(tmp_path / "e.npz", eigenvalues=eigs)
    (tmp_path / "e.csv").write_text("eigenvalue\n" + "\n".join(repr(float(x)) for x in eigs))
    (tmp_path / "e.txt").write_text(", ".join(repr(float(x)) for x in eigs))
    (tmp_path / "e.json").write_text(json.dumps({"eigenvalues": eigs.tolist()}))
    for name in ("e.npy", "e.npz", "e.csv", "e.txt", "e.json"):
        np.testing.assert_array_equal(read_spectrum(tmp_path / name)["eigs"], eigs)
    X, W = np.tile(eigs, (3, 1)), np.full((3, eigs.size), 1.0 / eigs.size)
    np.savez(tmp_path / "slq.npz", nodes=X, weights=W)
    d = read_spectrum(tmp_path / "slq.npz")
    np.testing.assert_array_equal(d["nodes"], X)
    np.testing.assert_array_equal(d["weights"], W)


def test_slq_file_fits(capsys, tmp_path, eigs):
    rng = np.random.default_rng(3)
    W = rng.uniform(size=(6, eigs.size))
    np.savez(tmp_path / "slq.npz", nodes=np.tile(eigs, (6, 1)), weights=W / W.sum(1)[:, None])
    code, stdout, err = run(capsys, "fit", tmp_path / "slq.npz", "--bootstrap", 3,
                            "--out", tmp_path / "o", "--json")
    assert code == 0, err
    r = json.loads(stdout)
    assert r["input"] == "slq" and r["p_value"] is None and r["outliers"] == []


def _bad(tmp_path, eigs):
    np.save(tmp_path / "ok.npy", eigs)
    np.save(tmp_path / "short.npy", eigs[:19])
    np.save(tmp_path / "nan.npy", np.r_[eigs, np.nan])
    (tmp_path / "nan.csv").write_text("1.0\nnan\n2.0\n")
    (tmp_path / "words.csv").write_text("a,b\n1,2\nx,y\n")
    np.savez(tmp_path / "keys.npz", values=eigs)
    (tmp_path / "e.bin").write_bytes(b"\0" * 16)
    (tmp_path / "broken.npy").write_bytes(b"not an npy file")
    np.save(tmp_path / "big.npy", np.ones(5000))
    ok = tmp_path / "ok.npy"
    return [
        ([tmp_path / "missing.npy"], "SPECTRUM"),
        ([tmp_path / "e.bin"], "SPECTRUM"),
        ([tmp_path / "broken.npy"], "SPECTRUM"),
        ([tmp_path / "keys.npz"], "SPECTRUM"),
        ([tmp_path / "nan.npy"], "SPECTRUM"),
        ([tmp_path / "nan.csv"], "SPECTRUM"),
        ([tmp_path / "words.csv"], "SPECTRUM"),
        ([tmp_path / "short.npy"], "eigs"),
        ([ok, "--phi", "0"], "phi"),
        ([ok, "--phi", "-1"], "phi"),
        ([ok, "--phi", "nan"], "phi"),
        ([ok, "--bootstrap", "0"], "bootstrap"),
        ([ok, "--spikes", "-2"], "spikes"),
        ([ok, "--law", "pb", "--spike-kind", "covariance"], "covariance"),
        ([ok, "--law", "gauss"], "law"),
        ([tmp_path / "big.npy", "--bootstrap", "1000000"], "bootstrap"),
    ]


def test_bad_input_exits_2_before_computing(capsys, tmp_path, eigs, monkeypatch):
    import rmtland.compare.fit as cfit

    def refuse(*a, **k):
        raise AssertionError("computing started")
    monkeypatch.setattr(cfit, "_fit_eigs", refuse)
    monkeypatch.setattr(cfit, "_fit_slq", refuse)
    for args, name in _bad(tmp_path, eigs):
        out = tmp_path / "never"
        code, stdout, err = run(capsys, "fit", *args, "--out", out)
        assert code == 2, (args, code, err)
        assert stdout == "" and len(err.strip().splitlines()) == 1, (args, err)
        assert name in err, (args, err)
        assert not out.exists(), args


def test_read_spectrum_refusals_name_spectrum(tmp_path):
    with pytest.raises(InputError, match="SPECTRUM"):
        read_spectrum(tmp_path / "nothing.npy")
    (tmp_path / "list.json").write_text("[1, 2, 3]")
    with pytest.raises(InputError, match="SPECTRUM"):
        read_spectrum(tmp_path / "list.json")
