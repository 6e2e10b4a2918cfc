"""The PyTorch adapter (rmtland.networks.torch) against independent code: rmtland's own network
engine (MLP.hvp, the R-operator written by hand), dense torch.func.hessian of the loss written
with the user's loss object, and H0 = J^T Lambda J built from torch.func.jacrev; identities
(H = H0 + H1, symmetry, H0 >= 0, the loss's reduction factor); bad input; the missing-torch
message; the CUDA path (marked gpu).

Tolerances (float64): products agree to 1e-12 relative to the largest entry of the reference
(observed ~5e-16: the same math in a different summation order); symmetry to 1e-13 relative to
|u| |Hv|.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from rmtland._validate import InputError
from rmtland.networks import MLP
from rmtland.networks.operators import hessian_operator as mlp_operator

if os.environ.get("RMTLAND_CI"):
    import torch as _ci_torch  # noqa: F401  (CI installs torch: a missing torch fails here)

RTOL = 1e-12


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def adapter(torch):
    from rmtland.networks import torch as adapter
    return adapter


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def _mlp(torch, widths, act="tanh", bias=False, seed=0):
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(torch.nn.Linear(a, b, bias=bias))
        if i < len(widths) - 2:
            layers.append({"tanh": torch.nn.Tanh(), "relu": torch.nn.ReLU()}[act])
    return torch.nn.Sequential(*layers).double()


def _cnn(torch, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                               torch.nn.Linear(2 * 3 * 3, 3)).double()


def _task(torch, kind, m, d, k, seed=1):
    """Inputs and targets: Gaussian targets (squared), class indices or probability rows."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(m, *d, generator=g, dtype=torch.float64) if isinstance(d, tuple) else \
        torch.randn(m, d, generator=g, dtype=torch.float64)
    if kind == "squared":
        return X, torch.randn(m, k, generator=g, dtype=torch.float64)
    if kind == "index":
        return X, torch.randint(0, k, (m,), generator=g)
    return X, torch.softmax(torch.randn(m, k, generator=g, dtype=torch.float64), 1)


def _loss_obj(torch, kind, reduction="mean"):
    return (torch.nn.MSELoss(reduction=reduction) if kind == "squared"
            else torch.nn.CrossEntropyLoss(reduction=reduction))


def _loader(torch, X, Y, batch):
    ds = torch.utils.data.TensorDataset(X, Y)
    return torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True,
                                       generator=torch.Generator().manual_seed(3))


# ------------------------------------------------------------------ against rmtland's MLP

@pytest.mark.parametrize("kind", ["squared", "index", "probs"])
@pytest.mark.parametrize("batching", ["full", "loader", "list"])
def test_products_match_the_network_engine(torch, adapter, kind, batching):
    """A bias-free tanh MLP [6, 10, 4] on m = 50 samples: the adapter's H, H0, H1 products,
    loss, phi and gradient equal rmtland.networks.MLP's (the hand-written R-operator; the
    parameter layout is torch's Linear.weight, row-major) to 1e-12, for MSELoss (squared) and
    CrossEntropyLoss (softmax; one-hot or probability targets), on the whole batch, a shuffled
    DataLoader of uneven batches (16, 16, 16, 2) and a list of batches of sizes 7, 23, 20."""
    widths, m = [6, 10, 4], 50
    net = _mlp(torch, widths)
    X, Y = _task(torch, kind, m, 6, 4)
    data = {"full": (X, Y), "loader": _loader(torch, X, Y, 16),
            "list": [(X[:7], Y[:7]), (X[7:30], Y[7:30]), (X[30:], Y[30:])]}[batching]
    h = adapter.TorchHessian(net, _loss_obj(torch, kind), data)
    Yr = Y.numpy() if kind != "index" else np.eye(4)[Y.numpy()]
    mlp = MLP(widths, activation="tanh", loss="squared" if kind == "squared" else "softmax")
    theta = np.concatenate([p.detach().numpy().ravel() for p in net.parameters()])
    assert (h.n, h.k, h.m) == (100, 4, 50) and h.phi == 100 / (4 * 50)
    assert h.layers == {"0": 60, "2": 40}
    assert abs(h.loss - float(mlp.loss(theta[None], X.numpy(), Yr)[0])) <= 1e-14
    assert _rel(h.gradient(), mlp.gradient(theta[None], X.numpy(), Yr)[0]) <= RTOL
    V = np.random.default_rng(0).standard_normal((h.n, 5))
    for part in ("H", "H0", "H1"):
        out = h.operator(part).matvec(V)
        assert out.shape == (100, 5) and out.dtype == np.float64
        ref = mlp_operator(mlp, theta, X.numpy(), Yr, part).matvec(V)
        assert _rel(out, ref) <= RTOL, part
        assert _rel(h.operator(part).matvec(V[:, 1]), ref[:, 1]) <= RTOL, part  # b = 1 path


# ------------------------------------------------------------------ against dense autograd

def _dense_reference(torch, net, loss_fn, X, Y, scale):
    """H = torch.func.hessian of loss_fn / scale (the user's loss in PB normalisation) and
    H0 = (c) sum_i J_i^T Lambda_i J_i from torch.func.jacrev, Lambda written out here."""
    names = [nm for nm, _ in net.named_parameters()]
    shapes = [p.shape for _, p in net.named_parameters()]
    theta = torch.cat([p.detach().reshape(-1) for p in net.parameters()])

    def out(th):
        ps, i = {}, 0
        for nm, s in zip(names, shapes):
            ps[nm] = th[i:i + s.numel()].reshape(s)
            i += s.numel()
        return torch.func.functional_call(net, ps, (X,))
    H = torch.func.hessian(lambda th: loss_fn(out(th), Y) / scale)(theta)
    J = torch.func.jacrev(out)(theta)                              # (m, k, n)
    m, k = J.shape[:2]
    if isinstance(loss_fn, torch.nn.MSELoss):
        H0 = torch.einsum("iko,ikp->op", J, J) / (k * m)
    else:
        p = torch.softmax(out(theta), 1)
        Lam = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]
        H0 = torch.einsum("iko,ikl,ilp->op", J, Lam, J) / m
    return H.numpy(), H0.numpy()


CASES = {  # name: (model factory, task kind, input shape, outputs, samples)
    "tanh-mse": (lambda t: _mlp(t, [5, 7, 3], bias=True), "squared", 5, 3, 20),
    "relu-mse": (lambda t: _mlp(t, [5, 7, 6, 3], act="relu"), "squared", 5, 3, 20),
    "cnn-ce": (_cnn, "index", (1, 5, 5), 3, 12),
    "cnn-mse": (_cnn, "squared", (1, 5, 5), 3, 12),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_dense_parts_match_autograd_and_jacobians(torch, adapter, case):
    """On small models (a tanh MLP with biases, a ReLU MLP: the a.e. Hessian, a Conv2d + ReLU +
    Linear CNN): the operators applied to the identity equal torch.func.hessian of the user's
    loss divided by ``scale`` (H), J^T Lambda J from jacrev (H0), and their difference (H1), to
    1e-12 of max |H|; each part is symmetric to rounding, H0 positive semi-definite (smallest
    eigenvalue >= -1e-12 ||H0||), and H0 + H1 = H as operators."""
    factory, kind, d, k, m = CASES[case]
    net = factory(torch)
    X, Y = _task(torch, kind, m, d, k)
    loss_fn = _loss_obj(torch, kind)
    h = adapter.TorchHessian(net, loss_fn, (X, Y))
    H, H0 = _dense_reference(torch, net, loss_fn, X, Y, h.scale)
    scale = np.abs(H).max()
    D = {part: h.dense(part) for part in ("H", "H0", "H1")}
    assert np.abs(D["H"] - H).max() <= RTOL * scale
    assert np.abs(D["H0"] - H0).max() <= RTOL * scale
    assert np.abs(D["H1"] - (H - H0)).max() <= RTOL * scale
    assert np.abs(D["H0"] + D["H1"] - D["H"]).max() <= RTOL * scale
    if case.startswith("relu"):
        assert np.abs(D["H1"]).max() > 1e-3 * scale      # cross-layer terms survive (a.e.)
    rng = np.random.default_rng(2)
    u, v = rng.standard_normal((2, h.n))
    for part, A in D.items():
        op = h.operator(part)
        Hu, Hv = op.matvec(u), op.matvec(v)
        assert abs(u @ Hv - v @ Hu) <= 1e-13 * np.linalg.norm(u) * np.linalg.norm(Hv), part
        assert np.abs(A - A.T).max() <= 1e-13 * scale, part
    w = np.linalg.eigvalsh(D["H0"])
    assert w[0] >= -1e-12 * np.abs(w).max()


def test_layer_blocks_are_diagonal_blocks_of_the_dense_hessian(torch, adapter):
    """The block of a layer (a module prefix), of an explicit parameter list and of ``params``
    given at construction is the corresponding diagonal block of the dense H (and of H0, H1);
    its n and phi are the block's."""
    net = _cnn(torch)
    X, Y = _task(torch, "index", 12, (1, 5, 5), 3)
    loss_fn = torch.nn.CrossEntropyLoss()
    h = adapter.TorchHessian(net, loss_fn, (X, Y))
    assert h.names == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert h.layers == {"0": 20, "3": 57}
    full = {part: h.dense(part) for part in ("H", "H0", "H1")}
    offsets = np.cumsum([0] + [int(np.prod(s)) for s in h.shapes.values()])
    index = {nm: np.arange(offsets[i], offsets[i + 1]) for i, nm in enumerate(h.names)}
    scale = np.abs(full["H"]).max()
    for layers in ("0", "3", ["0.bias", "3.weight"], ["3.bias"]):
        sub = h.block(layers)
        idx = np.concatenate([index[nm] for nm in sub.names])
        assert sub.n == idx.size and sub.phi == idx.size / (3 * 12)
        for part in ("H", "H0", "H1"):       # (H1 of one ReLU layer's block is 0: a.e.)
            blk = full[part][np.ix_(idx, idx)]
            assert np.abs(h.dense(part, layers=layers) - blk).max() <= RTOL * scale
    g = adapter.TorchHessian(net, loss_fn, (X, Y), params=[net[3].weight])
    assert g.names == ["3.weight"]
    assert _rel(g.dense("H"), full["H"][np.ix_(index["3.weight"], index["3.weight"])]) <= RTOL
    op = adapter.hessian_operator(net, loss_fn, (X, Y), part="H0", layers="0")
    assert _rel(op.matvec(np.eye(20)), full["H0"][:20, :20]) <= RTOL


@pytest.mark.parametrize("kind", ["squared", "index"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_scale_relates_the_users_loss_and_gradient_to_pb(torch, adapter, kind, reduction):
    """loss_fn(model(X), Y) = scale * L (MSELoss mean: 2L, sum: 2kmL; CrossEntropyLoss mean: L,
    sum: mL) and its autograd gradient = scale * gradient()."""
    net = _mlp(torch, [4, 6, 3])
    X, Y = _task(torch, kind, 30, 4, 3)
    loss_fn = _loss_obj(torch, kind, reduction)
    h = adapter.TorchHessian(net, loss_fn, (X, Y))
    expected = {("squared", "mean"): 2, ("squared", "sum"): 2 * 3 * 30,
                ("index", "mean"): 1, ("index", "sum"): 30}[kind, reduction]
    assert h.scale == expected
    net.zero_grad()
    out = loss_fn(net(X), Y)
    out.backward()
    user = out.item()
    grad = np.concatenate([p.grad.numpy().ravel() for p in net.parameters()])
    assert abs(user - h.scale * h.loss) <= 1e-13 * user
    assert _rel(h.scale * h.gradient(), grad) <= RTOL
    assert h.grad_norm == pytest.approx(np.linalg.norm(grad) / h.scale, rel=1e-12)
    s = json.loads(json.dumps(h.summary()))                       # JSON-ready
    assert (s["n"], s["k"], s["m"], s["scale"]) == (h.n, 3, 30, h.scale)
    assert s["layers"] == {"0": 24, "2": 18} and s["shapes"]["2.weight"] == [3, 6]


def test_data_is_iterated_once_per_product(torch, adapter):
    """A re-iterable data source is read once by the constructor and once per block product
    (whatever the block size); a cached operator reads it once when built, never after."""
    X, Y = _task(torch, "squared", 20, 4, 3)

    class Counting:
        calls = 0

        def __iter__(self):
            Counting.calls += 1
            return iter([(X[:9], Y[:9]), (X[9:], Y[9:])])
    h = adapter.TorchHessian(_mlp(torch, [4, 5, 3]), torch.nn.MSELoss(), Counting())
    assert Counting.calls == 1
    h.operator("H").matvec(np.ones((h.n, 7)))
    assert Counting.calls == 2
    op = h.operator("H0", cache=True)
    op.matvec(np.ones((h.n, 7)))
    op.matvec(np.ones(h.n))
    assert Counting.calls == 3


@pytest.mark.parametrize("case", ["tanh-mse", pytest.param("cnn-ce", marks=pytest.mark.slow)])
def test_cached_operators_equal_the_plain_ones(torch, adapter, case):
    """cache=True (each batch traced once by torch.func.linearize) gives the products of the
    plain operator to 1e-12, for every part, on two batches, for blocks of 3 and of 1, and
    twice in a row (the traces are reusable)."""
    factory, kind, d, k, m = CASES[case]
    X, Y = _task(torch, kind, m, d, k)
    h = adapter.TorchHessian(factory(torch), _loss_obj(torch, kind),
                             [(X[:5], Y[:5]), (X[5:], Y[5:])])
    V = np.random.default_rng(0).standard_normal((h.n, 3))
    for part in ("H", "H0", "H1"):
        ref = h.operator(part).matvec(V)
        op = h.operator(part, cache=True)
        assert _rel(op.matvec(V), ref) <= RTOL, part
        assert _rel(op.matvec(V[:, 2]), ref[:, 2]) <= RTOL, part
        assert _rel(op.matvec(V), ref) <= RTOL, part


def test_float32_model_gives_a_float32_operator(torch, adapter):
    """dtype follows the parameters: a float32 model's products are float32 and agree with the
    float64 model's to float32 rounding (2e-5 of the largest entry)."""
    net = _mlp(torch, [6, 10, 4])
    X, Y = _task(torch, "squared", 40, 6, 4)
    h64 = adapter.TorchHessian(net, torch.nn.MSELoss(), (X, Y))
    V = np.random.default_rng(0).standard_normal((h64.n, 3))
    ref = h64.operator("H").matvec(V)
    h32 = adapter.TorchHessian(net.float(), torch.nn.MSELoss(), (X, Y))     # data cast to float32
    out = h32.operator("H").matvec(V.astype(np.float32))
    assert h32.dtype == np.float32 and out.dtype == np.float32
    assert _rel(out, ref) <= 2e-5


def test_cpu_products_share_memory_with_numpy(torch):
    """torch_operator converts without copies on the CPU: an identity product returns an array
    that shares memory with its input."""
    from rmtland.linalg.operators import torch_operator
    op = torch_operator(lambda T: T, 4, torch.float64, "cpu")
    V = np.ones((4, 2))
    assert np.shares_memory(op.matvec(V), V)


def test_curvlinops_operator_through_as_operator(torch, adapter):
    """as_operator wraps curvlinops' HessianLinearOperator (a torch operator: ``@`` on tensors);
    its products are the Hessian of the user's loss over all the data (curvlinops' mean
    normalisation), so they equal scale * H of the adapter: an independent implementation.  A
    dense torch tensor is a torch operator too (checked symmetric)."""
    curvlinops = pytest.importorskip("curvlinops")
    from rmtland.linalg.operators import as_operator
    net = _mlp(torch, [6, 10, 4])
    X, Y = _task(torch, "squared", 50, 6, 4)
    data = [(X[:20], Y[:20]), (X[20:], Y[20:])]
    cl = curvlinops.HessianLinearOperator(net, torch.nn.MSELoss(), list(net.parameters()), data)
    op = as_operator(cl)
    assert op.n == 100 and op.dtype == np.float64 and op.xp is np
    h = adapter.TorchHessian(net, torch.nn.MSELoss(), data)
    V = np.random.default_rng(0).standard_normal((100, 4))
    assert _rel(op.matvec(V), h.scale * h.operator("H").matvec(V)) <= RTOL
    A = torch.from_numpy(h.dense("H"))                      # a torch tensor is one too
    assert _rel(as_operator(A).matvec(V), A.numpy() @ V) <= RTOL
    with pytest.raises(InputError, match="op must be symmetric"):
        as_operator(torch.triu(A) + torch.eye(100, dtype=torch.float64))


# ------------------------------------------------------------------ bad input

def test_bad_input_is_refused_naming_the_parameter(torch, adapter):
    """Each bad argument raises InputError naming it, from the constructor (before any
    product)."""
    net = _mlp(torch, [4, 5, 3])
    X, Y = _task(torch, "squared", 10, 4, 3)
    Xi, Yi = _task(torch, "index", 10, 4, 3)
    TH = adapter.TorchHessian

    class Pair(torch.nn.Module):                      # returns (outputs, features)
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(4, 3).double()

        def forward(self, x):
            return self.lin(x), x
    cases = [
        (lambda: TH(Pair(), torch.nn.MSELoss(), (X, Y)), "model"),
        (lambda: TH(net, torch.nn.MSELoss(reduction="none"), (X, Y)), "reduction"),
        (lambda: TH(net, torch.nn.L1Loss(), (X, Y)), "loss_fn"),
        (lambda: TH(net, lambda f, y: (f - y).pow(2).mean(), (X, Y)), "loss_fn"),
        (lambda: TH(net, torch.nn.CrossEntropyLoss(label_smoothing=0.1), (Xi, Yi)), "loss_fn"),
        (lambda: TH(net, torch.nn.MSELoss(), (X, Y[:9])), "data"),
        (lambda: TH(net, torch.nn.MSELoss(), (X, Y[:, :2])), "data"),
        (lambda: TH(net, torch.nn.MSELoss(), (X[:0], Y[:0])), "data"),
        (lambda: TH(net, torch.nn.MSELoss(), []), "data"),
        (lambda: TH(net, torch.nn.MSELoss(), iter([(X, Y)])), "data"),
        (lambda: TH(net, torch.nn.MSELoss(), [(X, Y), X]), "data"),
        (lambda: TH(net, torch.nn.MSELoss(), 3), "data"),
        (lambda: TH(net, torch.nn.CrossEntropyLoss(), (Xi, Yi + 3)), "data"),
        (lambda: TH(net, torch.nn.CrossEntropyLoss(), (Xi, Y)), "data"),       # rows not probs
        (lambda: TH(net, torch.nn.MSELoss(), (X, Y), params="conv9"), "params"),
        (lambda: TH(net, torch.nn.MSELoss(), (X, Y), params=[]), "params"),
        (lambda: TH(net, torch.nn.MSELoss(), (X, Y),
                    params=[torch.nn.Linear(4, 5).weight]), "params"),
        (lambda: TH(np.eye(3), torch.nn.MSELoss(), (X, Y)), "model"),
        (lambda: TH(net, torch.nn.MSELoss(), (X, Y)).operator("H2"), "part"),
        (lambda: TH(net, torch.nn.MSELoss(), (X, Y)).operator("H", cache=1), "cache"),
        (lambda: TH(net, torch.nn.MSELoss(), (X, Y)).operator("H", layers="7"), "layers"),
        (lambda: adapter.hessian_operator(net, torch.nn.MSELoss(), (X, Y), part="G"), "part"),
    ]
    for make, name in cases:
        with pytest.raises(InputError, match=name):
            make()


def test_missing_torch_names_the_extra(monkeypatch):
    """Without torch the adapter raises TorchMissing, an InputError (CLI exit 2) and an
    ImportError, whose message names the extra; importing the module needs no torch."""
    monkeypatch.setitem(sys.modules, "torch", None)             # makes `import torch` fail
    from rmtland.networks import torch as adapter
    for call in (lambda: adapter.TorchHessian(object(), object(), None),
                 lambda: adapter.hessian_operator(object(), object(), None)):
        with pytest.raises(adapter.TorchMissing, match=r"pip install 'rmtland\[torch\]'") as e:
            call()
        assert isinstance(e.value, InputError) and isinstance(e.value, ImportError)


def test_networks_imports_stay_torch_free():
    """`import rmtland.networks` (and the adapter module itself) does not import torch."""
    code = ("import sys, rmtland, rmtland.networks, rmtland.networks.torch\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------ GPU and end to end

@pytest.mark.gpu
def test_cuda_model_products_stay_on_the_gpu(torch, adapter):
    """A CUDA model: the operator's vectors are CuPy arrays, exchanged by DLPack without copies
    (an identity product returns the input's memory), and the products equal the CPU model's
    to 1e-12."""
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    cupy = pytest.importorskip("cupy")
    from rmtland.linalg.operators import torch_operator
    ident = torch_operator(lambda T: T, 4, torch.float64, "cuda")
    V = cupy.ones((4, 2))
    assert ident.xp is cupy and ident.matvec(V).data.ptr == V.data.ptr
    net = _mlp(torch, [6, 10, 4])
    X, Y = _task(torch, "index", 50, 6, 4)
    cpu = adapter.TorchHessian(net, torch.nn.CrossEntropyLoss(), (X, Y))
    W = np.random.default_rng(0).standard_normal((cpu.n, 3))
    ref = {part: cpu.operator(part).matvec(W) for part in ("H", "H0", "H1")}
    gpu = adapter.TorchHessian(net.cuda(), torch.nn.CrossEntropyLoss(), (X, Y))
    assert gpu.xp is cupy
    for part in ("H", "H0", "H1"):
        out = gpu.operator(part).matvec(cupy.asarray(W))
        assert isinstance(out, cupy.ndarray)
        assert _rel(cupy.asnumpy(out), ref[part]) <= RTOL
    assert isinstance(gpu.gradient(), cupy.ndarray)


@pytest.mark.slow
def test_digits_cnn_spectrum_end_to_end(torch, adapter):
    """A CNN (Conv2d + ReLU + Linear) on 300 bundled digits (8x8, pixels in [0, 1], ten
    classes, CrossEntropyLoss): spectrum() through the adapter runs on the CPU and agrees with
    the dense Hessian: lambda_max within its Lanczos residual, the index within 4 standard
    errors plus the quadrature bias bound."""
    pytest.importorskip("sklearn")
    from rmtland.linalg.spectral import spectrum
    from rmtland.networks.data import digits
    ds = digits(m=300, unit=True, one_hot=False, rng=0)
    X = torch.from_numpy(ds.X).reshape(-1, 1, 8, 8)
    Y = torch.from_numpy(ds.Y)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(4 * 6 * 6, 10)).double()
    h = adapter.TorchHessian(net, torch.nn.CrossEntropyLoss(), _loader(torch, X, Y, 128))
    res = spectrum(h.operator("H"), probes=8, steps=40, rng=0)
    w = np.linalg.eigvalsh(h.dense("H"))
    assert abs(res["lambda_max"] - w[-1]) <= res["lambda_max_residual"] + 1e-10
    alpha = float(np.mean(w < 0))
    assert abs(res["index"] - alpha) <= 4 * res["index_stderr"] + res["index_bias_bound"]
