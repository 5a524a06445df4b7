"""Label-free choice of the training epoch (checkpoint) of a deep adaptation run.

After every epoch :class:`EpochSelection` keeps a copy of the network's weights and scores
it with the criteria of :mod:`transferkit.selection`, none of which reads a target label:

* ``"iwcv"`` — importance-weighted zero-one risk on held-out source samples
  (Sugiyama et al. 2007), the weights :math:`w(x) = \\frac{n_s}{n_t}\\frac{P(t|x)}{P(s|x)}`
  from a logistic-regression domain classifier on the network's bottleneck features
  (fitted on training-source vs target features, evaluated on the held-out source);
* ``"dev"`` — the same risk with DEV's control variate (You et al., ICML 2019);
* ``"snd"`` — soft neighbourhood density of the target predictions (Saito et al. 2021);
* ``"entropy"`` — mean entropy of the target predictions.

Lower risk / entropy and higher SND are better. The chosen epoch's weights are loaded at
the end of training; every score stays in ``selection_scores_``.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch

from transferkit.engine import Callback

__all__ = ["CRITERIA", "EpochSelection", "best_epoch"]

#: criterion -> True when larger is better
CRITERIA = {"iwcv": False, "dev": False, "snd": True, "entropy": False}


def best_epoch(scores: list[float], criterion: str) -> int:
    """Index of the best finite score (the last epoch on ties)."""
    a = np.asarray(scores, dtype=float)
    a = np.where(np.isfinite(a), a, -np.inf if CRITERIA[criterion] else np.inf)
    if CRITERIA[criterion]:
        return int(len(a) - 1 - np.argmax(a[::-1]))
    return int(len(a) - 1 - np.argmin(a[::-1]))


@torch.no_grad()
def _outputs(net, X: torch.Tensor, batch: int = 512) -> tuple[np.ndarray, np.ndarray]:
    was = net.training
    net.eval()
    try:
        P, F = [], []
        for s in range(0, X.shape[0], batch):
            logits, f = net.forward_features(X[s : s + batch])
            P.append(torch.softmax(logits, 1).cpu())
            F.append(f.cpu())
        return torch.cat(P).double().numpy(), torch.cat(F).double().numpy()
    finally:
        net.train(was)


class EpochSelection(Callback):
    """Scores every epoch with the label-free criteria; restores the chosen epoch.

    Parameters
    ----------
    net : AdaptationNet
    X_val, y_val : held-out source samples (tensors; class indices)
    X_train : source training samples for the domain classifier (a subsample)
    X_target : target samples (tensor)
    criterion : {"iwcv", "dev", "snd", "entropy"} or None
        ``None`` keeps the last epoch (scores are still recorded).
    random_state : int
    """

    # before the checkpoint is written (orders up to 15 run before it): the epoch's weights
    # and scores are then part of that epoch's checkpoint, and a resumed run has them all
    order = 14

    def __init__(self, net, X_val, y_val, X_train, X_target, criterion, random_state=0):
        self.net, self.X_val, self.y_val = net, X_val, y_val
        self.X_train, self.X_target = X_train, X_target
        self.criterion, self.random_state = criterion, int(random_state)
        self.scores: dict[str, list[float]] = {k: [] for k in CRITERIA}
        self.states: list[dict[str, torch.Tensor]] = []
        self.selected_epoch: int | None = None

    def _domain_weights(self, F_train: np.ndarray, F_t: np.ndarray, F_val: np.ndarray):
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        Z = np.vstack([F_train, F_t])
        d = np.r_[np.zeros(len(F_train)), np.ones(len(F_t))]
        scaler = StandardScaler().fit(Z)
        clf = LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(Z), d)
        p = np.clip(clf.predict_proba(scaler.transform(F_val))[:, 1], 1e-6, 1 - 1e-6)
        return p / (1 - p) * len(F_train) / len(F_t)

    def on_epoch_end(self, state: Any) -> None:
        from transferkit.selection import (
            dev_risk,
            importance_weighted_risk,
            prediction_entropy,
            soft_neighbourhood_density,
        )

        self.states.append(copy.deepcopy({k: v.cpu() for k, v in self.net.state_dict().items()}))
        P_t, F_t = _outputs(self.net, self.X_target)
        self.scores["entropy"].append(prediction_entropy(P_t))
        self.scores["snd"].append(soft_neighbourhood_density(P_t))
        if self.X_val is not None and len(self.X_val) > 1:
            P_v, F_v = _outputs(self.net, self.X_val)
            _, F_tr = _outputs(self.net, self.X_train)
            losses = (P_v.argmax(1) != self.y_val.cpu().numpy()).astype(float)
            w = self._domain_weights(F_tr, F_t, F_v)
            self.scores["iwcv"].append(importance_weighted_risk(losses, w))
            self.scores["dev"].append(dev_risk(losses, w).risk)
        else:
            self.scores["iwcv"].append(float("nan"))
            self.scores["dev"].append(float("nan"))

    def on_train_end(self, state: Any) -> None:
        if not self.states:
            return
        if self.criterion is None:
            self.selected_epoch = len(self.states) - 1
        else:
            self.selected_epoch = best_epoch(self.scores[self.criterion], self.criterion)
        self.net.load_state_dict(self.states[self.selected_epoch])

    def state_dict(self) -> dict[str, Any]:
        return {"scores": self.scores, "states": self.states}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.scores = {k: list(v) for k, v in state["scores"].items()}
        self.states = list(state["states"])

    def settings(self) -> dict[str, Any]:
        return {"criterion": self.criterion}
