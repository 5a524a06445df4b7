r"""Transferability scores: how well will a source model or feature extractor transfer?

All four scores look at the *target* data only, through the eyes of a source model,
together with the target labels, before any fine-tuning. Higher is better for all four.

* :func:`logme` (You et al., ICML 2021): the log marginal evidence of a Bayesian linear
  model on the extracted features, maximised over its two precisions.
* :func:`leep` (Nguyen et al., ICML 2020): the log expected empirical prediction of the
  source classifier's soft outputs re-mapped to the target labels.
* :func:`nce` (Tran et al., ICCV 2019): negative conditional entropy
  :math:`-H(Y \mid Z)` of the target labels given the source model's hard predictions.
* :func:`h_score` (Bao et al., ICIP 2019): :math:`\operatorname{tr}(\operatorname{cov}(f)^{-1}
  \operatorname{cov}(\mathbb{E}[f \mid y]))`, the separability of the classes in the
  feature space.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from transferkit._validation import (
    LabelError,
    TransferKitInputError,
    check_labels,
    check_matrix,
    check_positive,
)

__all__ = ["h_score", "leep", "logme", "logme_evidence", "nce"]


def _labels(y: Any, n: int, name: str = "y") -> tuple[np.ndarray, np.ndarray]:
    arr = check_labels(y, n, name)
    classes, codes = np.unique(arr, return_inverse=True)
    if classes.size < 2:
        raise LabelError(
            f"{name} has a single class {classes.tolist()}; transferability scores compare "
            "how well classes are told apart, so at least 2 classes are needed."
        )
    return classes, codes


def logme_evidence(
    features: np.ndarray, target: np.ndarray, *, max_iter: int = 100, tol: float = 1e-10
) -> tuple[float, float, float]:
    r"""Maximised log evidence of Bayesian linear regression for one real target.

    Model: :math:`t = F w + \epsilon`, :math:`w \sim N(0, \alpha^{-1} I_D)`,
    :math:`\epsilon \sim N(0, \beta^{-1} I_n)`. The evidence

    .. math::
        \log p(t \mid \alpha, \beta) = \tfrac{D}{2}\log\alpha + \tfrac{n}{2}\log\beta
        - \tfrac{n}{2}\log 2\pi - \tfrac{\beta}{2}\lVert t - F m\rVert^2
        - \tfrac{\alpha}{2}\lVert m\rVert^2 - \tfrac12 \log\det(\alpha I + \beta F^\top F),

    with :math:`m = \beta (\alpha I + \beta F^\top F)^{-1} F^\top t`, is maximised by
    MacKay's fixed point :math:`\alpha \leftarrow \gamma / \lVert m\rVert^2`,
    :math:`\beta \leftarrow (n - \gamma) / \lVert t - F m\rVert^2`,
    :math:`\gamma = \sum_i \beta\sigma_i / (\alpha + \beta\sigma_i)` over the eigenvalues
    :math:`\sigma_i` of :math:`F^\top F`, all computed from one SVD of :math:`F`
    (Algorithm 1 of You et al.). The fixed point is a stationary point of the evidence;
    with more features than samples the supremum can lie at :math:`\alpha \to \infty`
    instead, which LogME, like the paper, does not chase.

    Returns
    -------
    (evidence, alpha, beta)
        The maximised log evidence (not divided by ``n``) and the precisions.
    """
    n, D = features.shape
    U, s, _ = np.linalg.svd(features, full_matrices=False)
    sigma = s * s
    r = sigma.size
    z = U.T @ target
    z2 = z * z
    res_perp = max(float(target @ target - z2.sum()), 0.0)
    tiny = np.finfo(float).tiny
    alpha, beta = 1.0, 1.0
    for _ in range(max_iter):
        denom = alpha + beta * sigma
        gamma = float(np.sum(beta * sigma / denom))
        m2 = float(np.sum(beta**2 * sigma * z2 / denom**2))
        res2 = float(np.sum((alpha / denom) ** 2 * z2)) + res_perp
        new_alpha = gamma / max(m2, tiny)
        new_beta = (n - gamma) / max(res2, tiny)
        done = abs(np.log(new_alpha / alpha)) < tol and abs(np.log(new_beta / beta)) < tol
        alpha, beta = max(new_alpha, tiny), max(new_beta, tiny)
        if done:
            break
    denom = alpha + beta * sigma
    m2 = float(np.sum(beta**2 * sigma * z2 / denom**2))
    res2 = float(np.sum((alpha / denom) ** 2 * z2)) + res_perp
    logdet = float(np.sum(np.log(denom))) + (D - r) * np.log(alpha)
    evidence = (
        0.5 * D * np.log(alpha)
        + 0.5 * n * np.log(beta)
        - 0.5 * n * np.log(2.0 * np.pi)
        - 0.5 * beta * res2
        - 0.5 * alpha * m2
        - 0.5 * logdet
    )
    return float(evidence), float(alpha), float(beta)


def logme(features: Any, y: Any, *, max_iter: int = 100) -> float:
    r"""LogME: average maximised log evidence per sample and class.

    Each class :math:`c` gives a regression target :math:`t_c = \mathbb{1}[y = c]`; the
    score is :math:`\frac{1}{C}\sum_c \max_{\alpha,\beta} \log p(t_c \mid F, \alpha,
    \beta) / n` (see :func:`logme_evidence`). Compare candidate feature extractors on the
    same target data: the higher score is expected to fine-tune better.

    Parameters
    ----------
    features : array-like or torch.Tensor of shape (n_samples, n_features)
        Target samples passed through the candidate feature extractor.
    y : array-like of shape (n_samples,)
        Target labels.
    max_iter : int
        Maximum fixed-point iterations per class.

    Returns
    -------
    float

    References
    ----------
    K. You, Y. Liu, J. Wang, M. Long. *LogME: Practical Assessment of Pre-trained Models
    for Transfer Learning.* ICML 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.metrics import logme
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> good = np.c_[y + 0.1 * rng.normal(size=100), rng.normal(size=(100, 4))]
    >>> bad = rng.normal(size=(100, 5))
    >>> logme(good, y) > logme(bad, y)
    True
    """
    check_positive("max_iter", max_iter, integer=True)
    F = check_matrix(features, "features", min_samples=2)
    classes, codes = _labels(y, F.shape[0])
    scores = [
        logme_evidence(F, (codes == c).astype(float), max_iter=max_iter)[0] / F.shape[0]
        for c in range(classes.size)
    ]
    return float(np.mean(scores))


def _source_probabilities(source_probs: Any) -> np.ndarray:
    P = check_matrix(source_probs, "source_probs", min_samples=1)
    if np.any(P < 0):
        raise TransferKitInputError(
            "source_probs holds negative values; pass the source model's softmax "
            "probabilities, not its logits (apply scipy.special.softmax first)."
        )
    sums = P.sum(1)
    if not np.allclose(sums, 1.0, atol=1e-4):
        raise TransferKitInputError(
            "every row of source_probs must sum to 1 (softmax probabilities over the source "
            f"classes); row sums range from {sums.min():.4g} to {sums.max():.4g}."
        )
    return P


def leep(source_probs: Any, y: Any) -> float:
    r"""LEEP: log expected empirical prediction.

    With the source model's probabilities :math:`\theta(x_i) \in \Delta^{Z}` on the
    target samples and target labels :math:`y_i`,

    .. math::
        \hat P(y, z) = \frac1n \sum_{i: y_i = y} \theta(x_i)_z, \quad
        \hat P(y \mid z) = \frac{\hat P(y, z)}{\sum_{y'} \hat P(y', z)}, \quad
        \mathrm{LEEP} = \frac1n \sum_i \log \sum_z \hat P(y_i \mid z)\,\theta(x_i)_z .

    Parameters
    ----------
    source_probs : array-like or torch.Tensor of shape (n_samples, n_source_classes)
        Softmax outputs of the source classifier on the target samples.
    y : array-like of shape (n_samples,)
        Target labels.

    Returns
    -------
    float
        A log-likelihood (:math:`\le 0`); higher means better expected transfer.

    References
    ----------
    C. V. Nguyen, T. Hassner, M. Seeger, C. Archambeau. *LEEP: A New Measure to Evaluate
    Transferability of Learned Representations.* ICML 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.metrics import leep
    >>> leep(np.eye(2), [0, 1])    # a perfect, one-to-one source model
    0.0
    """
    P = _source_probabilities(source_probs)
    classes, codes = _labels(y, P.shape[0])
    n = P.shape[0]
    joint = np.zeros((classes.size, P.shape[1]))
    np.add.at(joint, codes, P / n)
    marginal = joint.sum(0)
    conditional = np.divide(joint, marginal, out=np.zeros_like(joint), where=marginal > 0)
    eep = np.einsum("iz,iz->i", P, conditional[codes])
    return float(np.mean(np.log(eep)))


def nce(source_predictions: Any, y: Any) -> float:
    r"""NCE: negative conditional entropy :math:`-H(Y \mid Z)` of the target labels.

    :math:`Z` is the source model's hard prediction on each target sample. With the
    empirical joint distribution :math:`\hat P(y, z)`,

    .. math::
        \mathrm{NCE} = \sum_{y, z} \hat P(y, z) \log \frac{\hat P(y, z)}{\hat P(z)} .

    Parameters
    ----------
    source_predictions : array-like of shape (n_samples,) or (n_samples, n_source_classes)
        Source-class predictions (labels), or probabilities (then the arg-max is used).
    y : array-like of shape (n_samples,)
        Target labels.

    Returns
    -------
    float
        :math:`\le 0`; 0 when the target label is a function of the source prediction.

    References
    ----------
    A. T. Tran, C. V. Nguyen, T. Hassner. *Transferability and Hardness of Supervised
    Classification Tasks.* ICCV 2019.

    Examples
    --------
    >>> from transferkit.metrics import nce
    >>> nce([0, 0, 1, 1], [1, 1, 0, 0])
    0.0
    >>> round(nce([0, 0, 0, 0], [0, 1, 0, 1]), 6)   # -log 2
    -0.693147
    """
    raw = np.asarray(
        source_predictions.detach().cpu().numpy()
        if hasattr(source_predictions, "detach")
        else source_predictions
    )
    if raw.ndim == 2 and raw.shape[1] > 1:
        z = _source_probabilities(raw).argmax(1)
    else:
        z = check_labels(raw, raw.shape[0], "source_predictions")
    _, zc = np.unique(z, return_inverse=True)
    _, codes = _labels(y, z.shape[0])
    joint = np.zeros((codes.max() + 1, zc.max() + 1))
    np.add.at(joint, (codes, zc), 1.0 / z.shape[0])
    marginal = joint.sum(0)
    nz = joint > 0
    return float(np.sum(joint[nz] * np.log((joint / marginal)[nz])))


def h_score(features: Any, y: Any, *, rcond: float = 1e-10) -> float:
    r"""H-score: :math:`\operatorname{tr}\big(\operatorname{cov}(f)^{+}\,
    \operatorname{cov}(\mathbb{E}[f \mid y])\big)`.

    Covariances are population covariances (``ddof=0``); :math:`\mathbb{E}[f \mid y]`
    replaces each sample by its class mean. The pseudo-inverse (cut-off ``rcond``) keeps
    rank-deficient features usable.

    Parameters
    ----------
    features : array-like or torch.Tensor of shape (n_samples, n_features)
        Target samples passed through the candidate feature extractor.
    y : array-like of shape (n_samples,)
        Target labels.
    rcond : float
        Relative cut-off of :func:`numpy.linalg.pinv`.

    Returns
    -------
    float
        Between 0 and ``min(n_features, n_classes - 1)``; higher is better.

    References
    ----------
    Y. Bao, Y. Li, S.-L. Huang, L. Zhang, L. Zheng, A. Zamir, L. Guibas. *An
    Information-Theoretic Approach to Transferability in Task Transfer Learning.*
    ICIP 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.metrics import h_score
    >>> f = np.array([[0.0], [0.0], [2.0], [2.0]])
    >>> h_score(f, [0, 0, 1, 1])   # all the variance is between classes
    1.0
    """
    check_positive("rcond", rcond)
    F = check_matrix(features, "features", min_samples=2)
    classes, codes = _labels(y, F.shape[0])
    Fc = F - F.mean(0)
    cov_f = Fc.T @ Fc / F.shape[0]
    means = np.zeros((classes.size, F.shape[1]))
    np.add.at(means, codes, Fc)
    means /= np.bincount(codes)[:, None]
    G = means[codes]
    cov_g = G.T @ G / F.shape[0]
    return float(np.trace(np.linalg.pinv(cov_f, rcond=rcond, hermitian=True) @ cov_g))
