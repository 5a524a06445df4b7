"""Torch inputs of the estimators: tensors, ``Dataset``\\ s and ``DataLoader``\\ s as arrays.

The torch estimators (:mod:`transferkit.deep`, :class:`~transferkit.finetune.FineTuneClassifier`)
take, besides NumPy arrays and DataFrames, for the source and the target:

* a ``torch.Tensor`` of shape ``(n, ...)`` (images ``(n, C, H, W)`` or vectors ``(n, d)``);
* a ``torch.utils.data.Dataset`` (map-style or iterable) whose items are ``(x, y)`` pairs
  for the source and ``x`` or ``(x, y)`` for the target (a target label is read only by
  estimators that use target labels; ``-1`` marks an unlabelled one);
* a ``torch.utils.data.DataLoader``: its ``dataset`` is read, in index order (the loader's
  own batch size, shuffling and sampler do not apply; the estimator has ``batch_size`` and
  ``random_state``).

Each one is read once into an array with one row per sample (every ``x`` flattened, in
float32), exactly as the same numbers given as an array would be: the same data with the
same ``random_state`` gives the same model in every form. The estimator's ``image_shape``
says how to view the rows as images. Malformed datasets raise
:class:`~transferkit.TransferKitInputError` naming the argument, the item and the fix.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from transferkit._validation import InputTypeError, TargetDomain, TransferKitInputError

__all__ = ["TorchInputMixin", "is_torch_input", "read_samples", "torch_fit_arguments"]


def is_torch_input(obj: Any) -> bool:
    """True for a tensor, a ``Dataset`` or a ``DataLoader``."""
    from torch.utils.data import DataLoader, Dataset

    return isinstance(obj, torch.Tensor | Dataset | DataLoader)


def _as_array(v: Any, what: str) -> np.ndarray:
    if isinstance(v, torch.Tensor):
        return v.detach().cpu().numpy()
    try:
        arr = np.asarray(v)
    except (TypeError, ValueError) as exc:
        raise InputTypeError(f"{what} cannot be read as numbers ({exc}).") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise InputTypeError(
            f"{what} must hold numbers (a tensor or an array); got {type(v).__name__} "
            f"of dtype {arr.dtype}."
        )
    return arr


def _items(dataset: Any, name: str) -> list[Any]:
    if hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__"):
        try:
            n = len(dataset)
        except TypeError:
            n = None
        if n is not None:
            return [dataset[i] for i in range(n)]
    return list(iter(dataset))


def _read_dataset(dataset: Any, name: str, labels: str) -> tuple[np.ndarray, np.ndarray | None]:
    from torch.utils.data import TensorDataset

    if isinstance(dataset, TensorDataset):  # its columns, without reading item by item
        cols = [_as_array(t, f"column {j} of {name}") for j, t in enumerate(dataset.tensors)]
        items_are_pairs = len(cols) >= 2
        arity = len(cols)
        x_col = cols[0]
        y_col = cols[1] if items_are_pairs else None
    else:
        items = _items(dataset, name)
        if not items:
            raise TransferKitInputError(f"{name} is an empty Dataset; give at least one sample.")
        first = items[0]
        arity = len(first) if isinstance(first, tuple | list) else 1
        for i, it in enumerate(items):
            a = len(it) if isinstance(it, tuple | list) else 1
            if a != arity:
                raise TransferKitInputError(
                    f"the items of {name} must all have the same form; item 0 has {arity} "
                    f"part(s), item {i} has {a}."
                )
        xs = [it[0] if isinstance(it, tuple | list) else it for it in items]
        x_arrs = [_as_array(x, f"item {i} of {name}") for i, x in enumerate(xs)]
        shape = x_arrs[0].shape
        for i, a in enumerate(x_arrs):
            if a.shape != shape:
                raise TransferKitInputError(
                    f"the samples of {name} must all have the same shape; item 0 has "
                    f"{shape}, item {i} has {a.shape}."
                )
        x_col = np.stack(x_arrs) if x_arrs else np.empty((0,))
        y_col = None
        if arity >= 2:
            ys = []
            for i, it in enumerate(items):
                yi = _as_array(it[1], f"the label of item {i} of {name}")
                if yi.size != 1:
                    raise TransferKitInputError(
                        f"the label of item {i} of {name} must be one number; got shape {yi.shape}."
                    )
                ys.append(yi.reshape(()))
            y_col = np.stack(ys)
    if len(x_col) == 0:
        raise TransferKitInputError(f"{name} is an empty Dataset; give at least one sample.")
    if labels == "required" and (arity != 2 or y_col is None):
        raise TransferKitInputError(
            f"{name} is a Dataset of labelled samples: its items must be (x, y) "
            f"pairs; they have {arity} part(s)."
        )
    if labels != "required" and arity > 2:
        raise TransferKitInputError(
            f"the items of {name} must be x or (x, y); they have {arity} parts."
        )
    return x_col, (y_col if labels != "ignored" else None)


def read_samples(
    X: Any, y: Any = None, *, name: str = "X", labels: str = "required"
) -> tuple[Any, Any]:
    """``(rows, labels)`` of a tensor, ``Dataset`` or ``DataLoader``; anything else unchanged.

    Parameters
    ----------
    X : tensor, Dataset, DataLoader, or anything an estimator takes as an array
    y : labels given beside ``X`` (arrays or tensors); refused beside a ``Dataset``,
        whose items carry them.
    name : str
        The argument's name in error messages.
    labels : {"required", "optional", "ignored"}
        Whether the items must be ``(x, y)`` pairs (source), may be (a target whose labels
        the estimator reads) or are read as ``x`` or ``(x, _)`` (a target whose labels are
        not used).

    Returns
    -------
    rows : ndarray of shape (n, prod(sample shape)), float32 (or ``X`` itself)
    labels : ndarray of shape (n,) or None (or ``y`` itself)

    Examples
    --------
    >>> from torch.utils.data import TensorDataset
    >>> X, y = read_samples(TensorDataset(torch.zeros(3, 1, 2, 2), torch.tensor([0, 1, 1])))
    >>> X.shape, X.dtype, y.tolist()
    ((3, 4), dtype('float32'), [0, 1, 1])
    """
    from torch.utils.data import DataLoader, Dataset

    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    if isinstance(X, DataLoader):
        X = X.dataset
    if isinstance(X, torch.Tensor):
        if X.dim() == 0:
            raise TransferKitInputError(f"{name} must have one row per sample; got a scalar.")
        arr = X.detach().cpu().numpy()
        return arr.reshape(arr.shape[0], -1) if arr.ndim != 2 else arr, y
    if isinstance(X, Dataset):
        if y is not None:
            raise TransferKitInputError(
                f"{name} is a Dataset: its items carry the labels; do not pass them separately."
            )
        rows, found = _read_dataset(X, name, labels)
        rows = rows.reshape(rows.shape[0], -1)
        if rows.dtype != np.float32:
            rows = rows.astype(np.float32)
        return rows, found
    return X, y


def torch_fit_arguments(
    X: Any, y: Any, X_target: Any, y_target: Any, *, target_labels: bool
) -> tuple[Any, Any, Any, Any]:
    """The arguments of ``fit`` with every torch input read as arrays (others unchanged)."""
    X, y = read_samples(X, y, name="X", labels="required")
    if isinstance(X_target, TargetDomain):
        return X, y, X_target, y_target
    if isinstance(X_target, torch.Tensor):
        X_target, y_target = read_samples(X_target, y_target, name="X_target")
    elif is_torch_input(X_target):
        if y_target is not None:
            raise TransferKitInputError(
                "X_target is a Dataset: its items carry the target labels; do not pass "
                "y_target separately."
            )
        X_target, y_target = read_samples(
            X_target, None, name="X_target", labels="optional" if target_labels else "ignored"
        )
    elif isinstance(y_target, torch.Tensor):
        y_target = y_target.detach().cpu().numpy()
    return X, y, X_target, y_target


class TorchInputMixin:
    """``fit``, ``predict``, ``predict_proba`` and ``score`` of an estimator accept tensors,
    ``Dataset``\\ s and ``DataLoader``\\ s (read by :func:`read_samples`).

    Put it before the estimator's base class. With a ``Dataset`` of ``(x, y)`` pairs, ``y``
    is omitted: ``fit(dataset, X_target=target_dataset)``, ``score(dataset)``.
    """

    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        X_target: Any = None,
        y_target: Any = None,
        sample_domain: Any = None,
    ):
        if any(is_torch_input(a) for a in (X, y, X_target, y_target, sample_domain)):
            self._validate_params()  # type: ignore[attr-defined]  # before reading any data
            X, y, X_target, y_target = torch_fit_arguments(
                X,
                y,
                X_target,
                y_target,
                target_labels=bool(getattr(self, "_requires_target_labels", False)),
            )
            if isinstance(sample_domain, torch.Tensor):
                sample_domain = sample_domain.detach().cpu().numpy()
        return super().fit(  # type: ignore[misc]
            X, y, X_target=X_target, y_target=y_target, sample_domain=sample_domain
        )

    def predict(self, X: Any, domain: str = "target") -> np.ndarray:
        """Prediction for each sample of ``domain`` (arrays, tensors or datasets)."""
        rows, _ = read_samples(X, None, name="X", labels="ignored")
        return super().predict(rows, domain=domain)  # type: ignore[misc]

    def predict_proba(self, X: Any, domain: str = "target") -> np.ndarray:
        """Class probabilities, columns ordered as ``classes_`` (arrays, tensors or datasets)."""
        rows, _ = read_samples(X, None, name="X", labels="ignored")
        return super().predict_proba(rows, domain=domain)  # type: ignore[misc]

    def score(
        self, X: Any, y: Any = None, sample_weight: Any = None, domain: str = "target"
    ) -> float:
        """Accuracy on ``(X, y)``; a ``Dataset`` of ``(x, y)`` pairs needs no ``y``."""
        from torch.utils.data import DataLoader, Dataset

        if y is None and isinstance(X, Dataset | DataLoader):
            X, y = read_samples(X, None, name="X", labels="optional")
        else:
            X, y = read_samples(X, y, name="X", labels="ignored")
        if y is None:
            raise TransferKitInputError(
                "score needs the true labels: give y, or a Dataset of (x, y) pairs."
            )
        return super().score(X, y, sample_weight=sample_weight, domain=domain)  # type: ignore[misc]
