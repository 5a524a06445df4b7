r"""Moment matching for multi-source domain adaptation, M3SDA (Peng et al., ICCV 2019).

The estimator :class:`M3SDA` (a shared feature extractor, one classifier per source, the
moment distance :func:`moment_distance` between every source and the target and between
every pair of sources, and a weighted combination of the source classifiers at test
time), its network :class:`M3SDANet` and training step :class:`M3SDAStep` on the
shared engine (:mod:`transferkit.engine`). The objective is in :class:`M3SDA`'s
docstring.

Not implemented: the paper's M3SDA-:math:`\beta` variant (two classifiers per source
trained with the maximum-classifier-discrepancy steps of Saito et al. 2018).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from transferkit._validation import Interval, StrOptions, TransferKitInputError
from transferkit.deep.methods import _DeepAdaptation
from transferkit.deep.selection import EpochSelection
from transferkit.engine import AnnealedLR, Batch, Callback, DomainBatches, TrainStep
from transferkit.engine.data import TensorSource

__all__ = ["M3SDA", "M3SDANet", "M3SDAStep", "moment_distance", "moment_vectors"]


def moment_vectors(X: torch.Tensor, n_moments: int, *, central: bool = False) -> torch.Tensor:
    r"""The first ``n_moments`` moments of every feature: row :math:`k-1` is
    :math:`\mathbb E(X^k)` (the batch mean of the element-wise power).

    ``central=True``: :math:`\mathbb E\big((X - \mathbb E X)^k\big)` for :math:`k \ge 2`
    (the first row stays the mean).

    Examples
    --------
    >>> moment_vectors(torch.tensor([[1.0], [3.0]]), 3).flatten().tolist()
    [2.0, 5.0, 14.0]
    >>> moment_vectors(torch.tensor([[1.0], [3.0]]), 3, central=True).flatten().tolist()
    [2.0, 1.0, 0.0]
    """
    mean = X.mean(0)
    rows = [mean]
    base = X - mean if central else X
    for k in range(2, int(n_moments) + 1):
        rows.append((base**k).mean(0))
    return torch.stack(rows)


def moment_distance(
    sources: Sequence[torch.Tensor],
    target: torch.Tensor,
    n_moments: int = 2,
    *,
    central: bool = False,
    return_terms: bool = False,
) -> Any:
    r"""M3SDA's moment distance :math:`MD^2(\mathcal D_S, \mathcal D_T)` (Peng et al. 2019, Eq. 1).

    .. math:: \sum_{k=1}^{K}\Big(\frac{1}{N}\sum_{i}\lVert \mathbb E(X_i^k) -
              \mathbb E(X_T^k)\rVert_2 + \binom{N}{2}^{-1}\sum_{i<j}
              \lVert \mathbb E(X_i^k) - \mathbb E(X_j^k)\rVert_2\Big)

    Parameters
    ----------
    sources : sequence of tensors of shape (n_i, d)
        The features of each source (empty tensors are skipped; :math:`N` counts the
        others).
    target : tensor of shape (n_t, d)
    n_moments : int, default=2
        :math:`K` (the paper uses 2).
    central : bool, default=False
        Central moments for :math:`k \ge 2` (see :func:`moment_vectors`).
    return_terms : bool, default=False
        Also return the per-source distances to the target,
        :math:`d_i = \sum_k \lVert \mathbb E(X_i^k) - \mathbb E(X_T^k)\rVert_2`
        (a tensor of length :math:`N`).

    Returns
    -------
    distance : scalar tensor (and the per-source tensor when ``return_terms``)

    Examples
    --------
    >>> s1, s2, t = torch.tensor([[0.0], [2.0]]), torch.tensor([[1.0]]), torch.tensor([[1.0]])
    >>> float(moment_distance([s1, s2], t, 1))   # (|1-1| + |1-1|)/2 + |1-1|
    0.0
    >>> float(moment_distance([s1, s2], t, 2))   # second moments 2, 1, 1: (1 + 0)/2 + 1
    1.5
    """
    parts = [s for s in sources if s.shape[0] > 0]
    if not parts:
        raise TransferKitInputError("moment_distance needs at least one non-empty source.")
    K = int(n_moments)
    m_t = moment_vectors(target, K, central=central)
    m_s = [moment_vectors(s, K, central=central) for s in parts]
    to_target = torch.stack([torch.linalg.vector_norm(m - m_t, dim=1).sum() for m in m_s])
    total = to_target.mean()
    pairs = list(itertools.combinations(range(len(m_s)), 2))
    if pairs:
        between = torch.stack(
            [torch.linalg.vector_norm(m_s[i] - m_s[j], dim=1).sum() for i, j in pairs]
        )
        total = total + between.mean()
    return (total, to_target) if return_terms else total


class M3SDANet(nn.Module):
    """A shared feature extractor and one linear classifier per source.

    ``forward`` returns the log of the weighted combination of the classifiers'
    probabilities (so that ``softmax(forward(x))`` is the combined prediction), and
    ``forward_features`` also the bottleneck features; the combination weights are the
    buffer ``source_weights`` (saved with the weights of every epoch).

    Parameters
    ----------
    trunk, neck : nn.Module
        Input -> bottleneck features (as in :class:`~transferkit.deep.AdaptationNet`).
    features : int
        Bottleneck width.
    n_classes, n_sources : int
    transform : callable, optional
        Applied to the input first (as in :class:`~transferkit.deep.AdaptationNet`).
    channels_last : bool, default=False
        Feed image inputs to the trunk in the channels-last memory format (as
        :class:`~transferkit.deep.AdaptationNet` does; the maths are unchanged).
    """

    def __init__(
        self,
        trunk: nn.Module,
        neck: nn.Module,
        features: int,
        n_classes: int,
        n_sources: int,
        *,
        transform: Any = None,
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        self.trunk, self.neck = trunk, neck
        self.transform, self.channels_last = transform, bool(channels_last)
        self.heads = nn.ModuleList(
            nn.Linear(int(features), int(n_classes)) for _ in range(n_sources)
        )
        self.features = int(features)
        self.register_buffer("source_weights", torch.full((n_sources,), 1.0 / n_sources))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Bottleneck features :math:`G(x)`."""
        if self.transform is not None:
            x = self.transform(x)
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.neck(self.trunk(x))

    def head_logits(self, f: torch.Tensor) -> list[torch.Tensor]:
        """Logits of every source classifier."""
        return [head(f) for head in self.heads]

    def combine(self, f: torch.Tensor) -> torch.Tensor:
        """Log of :math:`\\sum_i w_i\\,\\mathrm{softmax}(C_i(f))`."""
        logp = torch.stack([torch.log_softmax(z, 1) for z in self.head_logits(f)])
        w = self.source_weights.to(logp.dtype).clamp_min(1e-12).log()
        return torch.logsumexp(logp + w[:, None, None], dim=0)

    def forward_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.embed(x)
        return self.combine(f), f

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)[0]


class M3SDAStep(TrainStep):
    """One training step of M3SDA: per-source cross-entropy + :math:`\\lambda\\, MD^2`.

    The batch's source columns are ``(x, y, source index)`` with indices ``0..N-1``; a
    source absent from a batch is left out of that batch's moment distance.
    """

    def __init__(
        self, net: M3SDANet, *, trade_off: float = 1.0, n_moments: int = 2, central: bool = False
    ) -> None:
        super().__init__()
        self.net = net
        self.trade_off, self.n_moments, self.central = float(trade_off), int(n_moments), central

    def settings(self) -> dict[str, Any]:
        return {"trade_off": self.trade_off, "n_moments": self.n_moments, "central": self.central}

    def forward(self, batch: Batch, state: Any) -> tuple[torch.Tensor, dict[str, Any]]:
        xs, ys, ds = batch.source[0], batch.source[1], batch.source[2]
        xt = batch.target[0]
        n = xs.shape[0]
        f = self.net.embed(torch.cat([xs, xt]))
        fs, ft = f[:n], f[n:]
        ce = fs.new_zeros(())
        groups = []
        for i, head in enumerate(self.net.heads):
            mask = ds == i
            if bool(mask.any()):
                ce = ce + F.cross_entropy(head(fs[mask]), ys[mask], reduction="sum")
                groups.append(fs[mask])
        ce = ce / n
        md = moment_distance(groups, ft, self.n_moments, central=self.central)
        return ce + self.trade_off * md, {"ce": ce, "moment": md}


class _SourceWeights(Callback):
    """After every epoch: each source's moment distance to the target, and the weights."""

    order = 12  # before the epoch selection (14) and the checkpoint

    def __init__(self, net, sources, target, n_moments, central, combination) -> None:
        self.net, self.sources, self.target = net, sources, target
        self.n_moments, self.central, self.combination = n_moments, central, combination
        self.distances: list[list[float]] = []
        self.totals: list[float] = []

    @torch.no_grad()
    def _embed(self, X: torch.Tensor) -> torch.Tensor:
        device = next(self.net.parameters()).device
        return torch.cat(
            [self.net.embed(X[s : s + 512].to(device)).double() for s in range(0, len(X), 512)]
        )

    def on_epoch_end(self, state: Any) -> None:
        was = self.net.training
        self.net.eval()
        try:
            fs = [self._embed(X) for X in self.sources]
            ft = self._embed(self.target)
        finally:
            self.net.train(was)
        total, d = moment_distance(fs, ft, self.n_moments, central=self.central, return_terms=True)
        self.distances.append(d.tolist())
        self.totals.append(float(total))
        self.net.source_weights.copy_(
            source_weights(d, self.combination).to(self.net.source_weights)
        )

    def state_dict(self) -> dict[str, Any]:
        return {"distances": self.distances, "totals": self.totals}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.distances = [list(v) for v in state["distances"]]
        self.totals = list(state["totals"])

    def settings(self) -> dict[str, Any]:
        return {"combination": self.combination}


def source_weights(distances: torch.Tensor, combination: str = "uniform") -> torch.Tensor:
    r"""Combination weights :math:`1/N` (``"uniform"``, M3SDA's default) or
    :math:`w_i \propto \exp(-d_i/\bar d)` (``"moment"``).

    Examples
    --------
    >>> source_weights(torch.tensor([1.0, 3.0])).tolist()
    [0.5, 0.5]
    >>> w = source_weights(torch.tensor([1.0, 3.0]), "moment"); bool(w[0] > w[1])
    True
    """
    d = distances.double()
    n = d.numel()
    mean = d.mean()
    if combination == "uniform" or not bool(torch.isfinite(d).all()) or float(mean) <= 0:
        return torch.full((n,), 1.0 / n, dtype=torch.float64)
    return torch.softmax(-d / mean, 0)


class M3SDA(_DeepAdaptation):
    r"""Moment matching for multi-source domain adaptation (Peng et al., ICCV 2019).

    One feature extractor :math:`G` is shared by the :math:`N` labelled sources
    :math:`S_1, \dots, S_N` and the unlabelled target :math:`T`; every source has its own
    classifier :math:`C_i`. Training minimises (the paper's Eq. 2)

    .. math:: \min_{G, C_1, \dots, C_N}\ \frac{1}{n}\sum_{i=1}^{N}\sum_{j=1}^{n_i}
              \ell_{\mathrm{CE}}\big(C_i(G(x^i_j)), y^i_j\big)
              + \lambda\, MD^2(\mathcal D_S, \mathcal D_T),

    where :math:`n = \sum_i n_i` is the number of source samples of the batch, and the
    moment distance (the paper's Eq. 1, with :math:`K` moments instead of the paper's two)
    compares every source with the target *and* every pair of sources:

    .. math:: MD^2(\mathcal D_S, \mathcal D_T) = \sum_{k=1}^{K}\Big(
              \frac{1}{N}\sum_{i=1}^{N}\big\lVert \mathbb E(X_i^k) - \mathbb E(X_T^k)\big\rVert_2
              + \binom{N}{2}^{-1}\sum_{i=1}^{N-1}\sum_{j=i+1}^{N}
              \big\lVert \mathbb E(X_i^k) - \mathbb E(X_j^k)\big\rVert_2\Big),

    with :math:`X^k` the element-wise :math:`k`-th power of the features :math:`G(x)` and
    the expectations replaced by batch means. ``central=True`` uses central moments
    :math:`\mathbb E\big((X - \mathbb E X)^k\big)` for :math:`k \ge 2` (the authors'
    released code centres the features before the higher moments; the paper's equation does
    not). With one source the pairwise term is empty and the loss is a moment-matching
    loss between one source and the target.

    At test time the target prediction combines the source classifiers,

    .. math:: p(y \mid x) = \sum_{i=1}^{N} w_i\, \mathrm{softmax}\big(C_i(G(x))\big)_y,
              \qquad \sum_i w_i = 1.

    ``combination="uniform"`` (the default): :math:`w_i = 1/N`, the average of the source
    classifiers' probabilities, as the Dassl re-implementation of M3SDA (Zhou et al.)
    predicts (its ``model_inference`` sums the softmax of every source classifier and
    divides by their number). Which weights the paper itself prescribes at test time is
    **not confirmed against its text**: the objective (Eqs. 1-2) does not involve them,
    and the sentence(s) of its method section on inference could not be read here (see
    docs/multisource.md, "M3SDA's test-time combination"). Every committed M3SDA number
    (``benchmarks/results/multisource_deep.md``) states which combination it used.
    ``combination="moment"`` (not from the paper): weights from each source's moment
    distance to the target in the learned feature space,
    :math:`d_i = \sum_k \lVert \mathbb E(X_i^k) - \mathbb E(X_T^k)\rVert_2` (computed after
    every epoch on up to 1000 samples of each source and 2000 target samples),
    :math:`w_i \propto \exp(-d_i / \bar d)`, :math:`\bar d` the mean of the :math:`d_i`:
    closer sources weigh more, in the spirit of the paper's bound (Theorem 2), where each
    source's error enters with the weight of its divergence to the target. The distances
    :math:`d_i` are recorded (``source_distances_``) whichever the combination.

    Several sources come stacked in ``X``/``y`` with ``sample_domain`` (one id per source;
    any number of sources, one included); the target is ``X_target``. Batches hold
    ``batch_size`` source samples (drawn from the pooled sources, so each source appears
    in proportion to its size) and ``batch_size`` target samples. The epoch kept is
    chosen without target labels (``selection``, see :mod:`transferkit.deep.selection`);
    the combined prediction is what the criteria score.

    Parameters
    ----------
    network : "auto", "lenet", "mlp", a finetune backbone name, AdaptationNet or callable
        :math:`G` (its trunk and neck; its classifier is replaced by the per-source
        classifiers), as for the other deep estimators (:class:`~transferkit.deep.DANN`):
        ``"auto"`` is LeNet when ``image_shape`` is given, else the MLP.
    image_shape : (C, H, W), optional
        How to view the rows of ``X`` as images.
    hidden : sequence of int, default=(256,)
        Dense layers of the MLP (the last one is the bottleneck).
    features : int, default=500
        Bottleneck width of the convolutional networks.
    dropout : float, default=0.5
    trade_off : float, default=0.01
        :math:`\lambda`; 0 trains the per-source classifiers without alignment. The
        moment term of unbounded ReLU features can grow instead of shrinking when
        :math:`\lambda` is large (1 diverged and 0.1 was unstable on Office-Caltech
        SURF with the default MLP and learning rate; 0.01 was stable on SURF and Amazon
        reviews, see ``benchmarks/results/multisource_deep.md``).
    n_moments : int, default=2
        :math:`K`.
    central : bool, default=False
        Central moments for :math:`k \ge 2`.
    combination : {"uniform", "moment"}, default="uniform"
        Weights of the source classifiers at test time: equal (``"uniform"``) or
        :math:`\exp(-d_i/\bar d)` (``"moment"``); see above.
    epochs, batch_size : int, default=20, 64
    lr, momentum, weight_decay : float, default=0.01, 0.9, 5e-4
        SGD (Nesterov) settings.
    lr_annealing : bool, default=True
        :math:`\eta_p = \eta_0 (1 + 10p)^{-0.75}`.
    selection : {"dev", "iwcv", "snd", "entropy"} or None, default="dev"
        Label-free choice of the epoch kept (``None``: the last one).
    val_fraction : float, default=0.1
        Source samples held out for IWCV/DEV.
    checkpoint_dir : str, optional
        Checkpoint after every epoch (``m3sda.pt``); resumed only when written with the
        same data, starting weights and every setting (else trains anew with a warning).
    device : str or torch.device, optional
    random_state : int, default=0
        Seeds initialisation, batches and dropout through local generators.
    verbose : bool, default=False
        Progress bar with the live losses.

    The parameter rules, the held-out split, the networks and the engine (device,
    checkpoint, resume) are those of the other deep estimators; the only parameter they
    have and M3SDA has not is ``discriminator_hidden`` (no discriminator here).

    Attributes
    ----------
    net_ : M3SDANet
    source_ids_ : ndarray
        The source ids, in the order of the classifiers.
    source_weights_ : ndarray
        :math:`w_i` of the kept epoch.
    source_distances_ : ndarray
        :math:`d_i` of the kept epoch.
    moment_distances_ : list of float
        :math:`MD^2` on the fixed evaluation samples after every epoch.
    history_, selection_scores_, selected_epoch_, resumed_from_epoch_
        As for the other deep methods.

    References
    ----------
    X. Peng, Q. Bai, X. Xia, Z. Huang, K. Saenko, B. Wang. Moment Matching for
    Multi-Source Domain Adaptation. ICCV 2019.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 5)); y = (X[:, 0] > 0).astype(int)
    >>> ids = np.repeat([1, 2, 3], 100); X[ids == 2] += 0.5
    >>> Xt = rng.normal(size=(100, 5)) + 0.3
    >>> clf = M3SDA(hidden=(16,), epochs=3, selection=None, random_state=0)
    >>> clf.fit(X, y, X_target=Xt, sample_domain=ids).source_ids_.tolist()
    [1, 2, 3]
    >>> clf.predict_proba(Xt).shape, round(float(clf.source_weights_.sum()), 6)
    ((100, 2), 1.0)
    """

    _method = "m3sda"
    _extra_params = ("n_moments", "central", "combination")
    _excluded_params = ("discriminator_hidden",)

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **{
            k: v
            for k, v in _DeepAdaptation._parameter_constraints.items()
            if k not in ("discriminator_hidden",)
        },
        "n_moments": [Interval(Integral, 1, 10, closed="both")],
        "central": ["boolean"],
        "combination": [StrOptions({"uniform", "moment"})],
    }

    def __init__(
        self,
        network: Any = "auto",
        *,
        trade_off: float = 0.01,
        n_moments: int = 2,
        central: bool = False,
        combination: str = "uniform",
        **kwargs: Any,
    ) -> None:
        if "discriminator_hidden" in kwargs:
            raise TypeError(
                "M3SDA() got an unexpected keyword argument 'discriminator_hidden' (M3SDA "
                "has no domain discriminator)."
            )
        super().__init__(network, trade_off=trade_off, **kwargs)
        del self.discriminator_hidden  # set by the shared constructor; not a parameter here
        self.n_moments = n_moments
        self.central = central
        self.combination = combination

    # ------------------------------------------------------------------ contract
    def _fit(self, data: Any) -> None:
        rs = int(self.random_state)
        n_classes = len(self.classes_)
        ids = np.unique(data.sample_domain)
        Xs = self._inputs(data.X)
        ys = torch.as_tensor(np.searchsorted(self.classes_, data.y))
        ds = torch.as_tensor(np.searchsorted(ids, data.sample_domain).astype(np.int64))
        Xt = self._inputs(data.X_target)
        val, tr, n_val = self._holdout(Xs.shape[0])
        with torch.random.fork_rng(devices=[]):  # seeded initialisation; global state kept
            torch.default_generator.manual_seed(rs)
            base = self._build_net(int(data.X.shape[1]), n_classes)
            net = M3SDANet(
                base.trunk,
                base.neck,
                base.features,
                n_classes,
                len(ids),
                transform=base.transform,
                channels_last=base.channels_last,
            )
        step = M3SDAStep(
            net,
            trade_off=float(self.trade_off),
            n_moments=int(self.n_moments),
            central=bool(self.central),
        )
        opt = torch.optim.SGD(
            net.parameters(),
            lr=float(self.lr),
            momentum=float(self.momentum),
            weight_decay=float(self.weight_decay),
            nesterov=float(self.momentum) > 0,
        )
        pick = torch.Generator().manual_seed(rs + 9)
        sel_train = tr[torch.randperm(tr.numel(), generator=pick)[:1000]]
        per_source = []
        for i in range(len(ids)):  # every row of the source (no label is read)
            rows = torch.nonzero(ds == i).flatten()
            per_source.append(Xs[rows[torch.randperm(rows.numel(), generator=pick)[:1000]]])
        Xt_eval = Xt[torch.randperm(Xt.shape[0], generator=pick)[:2000]]
        weights = _SourceWeights(
            net,
            per_source,
            Xt_eval,
            int(self.n_moments),
            bool(self.central),
            self.combination,
        )
        selector = EpochSelection(
            net,
            Xs[val] if n_val else None,
            ys[val] if n_val else None,
            Xs[sel_train],
            Xt,
            self.selection,
            rs,
        )
        callbacks: list[Callback] = [weights, selector]
        if self.lr_annealing:
            callbacks.insert(0, AnnealedLR(10.0, 0.75))
        engine = self._engine(callbacks)
        batches = DomainBatches(
            TensorSource(Xs[tr], ys[tr], ds[tr]), TensorSource(Xt), batch_size=int(self.batch_size)
        )
        state = engine.fit(step, batches, opt)
        net.cpu().eval()
        self.net_ = net
        self.source_ids_ = ids
        self.history_ = state.history
        self.resumed_from_epoch_ = state.resumed_from_epoch
        self.selection_scores_ = selector.scores
        self.selected_epoch_ = selector.selected_epoch
        self.moment_distances_ = list(weights.totals)
        self._source_distances = [np.asarray(d) for d in weights.distances]
        self._epoch_states = selector.states
        self._set_epoch_attributes(self.selected_epoch_)

    def _set_epoch_attributes(self, epoch: int) -> None:
        self.source_weights_ = self.net_.source_weights.double().numpy().copy()
        self.source_distances_ = self._source_distances[epoch].copy()

    def use_epoch(self, epoch: int):
        """Load the weights (and combination weights) of ``epoch`` (0-based) into ``net_``."""
        super().use_epoch(epoch)
        self._set_epoch_attributes(int(epoch))
        return self

    @torch.no_grad()
    def embed(self, X: Any) -> np.ndarray:
        """The learned features :math:`G(x)` (the space the moments are matched in)."""
        Xc = self._check_fitted_input(X)
        t = self._inputs(Xc)
        self.net_.eval()
        out = [self.net_.embed(t[s : s + 512]).double() for s in range(0, t.shape[0], 512)]
        return torch.cat(out).numpy()

    @torch.no_grad()
    def _predict_proba(self, X: np.ndarray, domain: str) -> np.ndarray:
        t = self._inputs(X)
        self.net_.eval()
        out = [self.net_(t[s : s + 512]).double().exp() for s in range(0, t.shape[0], 512)]
        P = torch.cat(out).numpy()
        return P / P.sum(1, keepdims=True)
