"""Input validation shared by every public entry point of transferkit.

Every estimator, metric and command validates its inputs here, so that the same
mistake always produces the same clear message. The error classes subclass
:class:`ValueError` (or :class:`TypeError`) so that existing ``except`` clauses
keep working, and every message names the offending argument and the fix.

Nothing in this module modifies its inputs: arrays are converted to new
floating-point arrays when a conversion is needed, and the caller's arrays are
never written to.
"""

from __future__ import annotations

import numbers
import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    _Constraint,
    make_constraint,
)
from sklearn.utils._param_validation import InvalidParameterError as _SkInvalidParameterError
from sklearn.utils.validation import check_random_state as _sk_check_random_state

__all__ = [
    "TransferKitInputError",
    "DomainMismatchError",
    "LabelError",
    "InputTypeError",
    "MemoryBudgetError",
    "InvalidParameterError",
    "WeightCollapseWarning",
    "HasMethods",
    "Interval",
    "StrOptions",
    "SequenceOf",
    "MAX_ITER",
    "MAX_ROUNDS",
    "MAX_POWER_ITERATIONS",
    "validate_parameters",
    "TargetDomain",
    "check_matrix",
    "check_labels",
    "check_regression_targets",
    "check_source_target",
    "check_domains",
    "check_sample_domain",
    "Domain",
    "Domains",
    "ValidatedDomains",
    "check_target_labels",
    "check_option",
    "check_positive",
    "check_random_state",
    "available_memory_bytes",
    "check_memory",
    "effective_sample_size",
    "check_sample_weights",
    "feature_names_of",
    "check_fit_feature_names",
    "check_feature_names",
    "format_bytes",
]


class TransferKitInputError(ValueError):
    """An argument has the wrong shape, values or contents."""


class DomainMismatchError(TransferKitInputError):
    """Source and target domains are inconsistent (e.g. feature counts differ)."""


class LabelError(TransferKitInputError):
    """Labels are missing, of the wrong kind, or name a class never seen."""


class InputTypeError(TransferKitInputError, TypeError):
    """An argument holds values of a type that cannot be used (e.g. objects in ``X``)."""


class MemoryBudgetError(TransferKitInputError, MemoryError):
    """An exact computation would need more memory than is available."""


class InvalidParameterError(TransferKitInputError, _SkInvalidParameterError):
    """A hyper-parameter is outside the range its estimator declares.

    Also a subclass of scikit-learn's ``InvalidParameterError`` (itself a ``ValueError``
    and a ``TypeError``), so code written for scikit-learn estimators catches it too.
    """


class WeightCollapseWarning(UserWarning):
    """Importance weights concentrate on very few samples (low effective sample size)."""


@dataclass(frozen=True)
class TargetDomain:
    """Container for target-domain data passed as a fit parameter.

    scikit-learn's cross-validation tools slice every fit parameter whose length equals
    the number of source samples. When the target happens to have exactly as many
    samples as the source, a plain ``X_target`` array would be cut into folds by
    mistake. Wrapping it in :class:`TargetDomain` hides its length from those tools;
    every transferkit estimator unwraps it.

    Parameters
    ----------
    X : array-like of shape (n_target, n_features)
        Target features.
    y : array-like of shape (n_target,), optional
        Target labels, ``-1`` marking unlabelled samples.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from transferkit import CORAL, TargetDomain, make_transfer_pipeline
    >>> rng = np.random.default_rng(0)
    >>> Xs, ys = rng.normal(size=(60, 3)), np.repeat([0, 1], 30)
    >>> Xt = rng.normal(size=(60, 3)) + 1.0
    >>> search = GridSearchCV(make_transfer_pipeline(CORAL(), KNeighborsClassifier(1)),
    ...                       {"transfer__lambda_": [0.1, 1.0]}, cv=3)
    >>> _ = search.fit(Xs, ys, X_target=TargetDomain(Xt))
    """

    X: Any
    y: Any = None


#: Upper bound of solver iteration caps (``max_iter`` of KMM, KLIEP, the SA SVM, ...).
#: One iteration costs at least O(n) work; every solver here converges (or is capped
#: by default) in at most 20,000 iterations, LIBSVM stores its cap in a C ``int``, and
#: a million iterations on any data set worth adapting already takes hours. A larger
#: value is a typo (``10**12``), so it is refused at once instead of running forever.
MAX_ITER = 10**6

#: Upper bound of outer rounds that each refit a model or solve an eigenproblem
#: (``n_iter`` of JDA/BDA/MEDA, ``n_estimators`` of TrAdaBoost). The papers use 10 to
#: 100; 10,000 rounds of even a 1 ms fit is hours, and the pseudo-label loops settle in
#: a few rounds.
MAX_ROUNDS = 10**4

#: Upper bound of Nyström power iterations: each pass over the full n x n kernel costs
#: O(n^2 (d + m)), and one or two passes already make the leading eigen-pairs nearly
#: exact (the subspace error shrinks geometrically with every pass).
MAX_POWER_ITERATIONS = 100


def _as_constraint(rule: Any) -> Any:
    return rule if isinstance(rule, _Constraint) else make_constraint(rule)


class SequenceOf(_Constraint):
    """A parameter rule: a non-empty list/tuple/1-D array whose every entry obeys ``rule``.

    Booleans and strings never count as entries of a numeric sequence.

    Examples
    --------
    >>> from numbers import Real
    >>> rule = SequenceOf(Interval(Real, 0, None, closed="neither"))
    >>> rule.is_satisfied_by([0.1, 1.0]), rule.is_satisfied_by([0.1, "x"])
    (True, False)
    """

    def __init__(self, rule: Any):
        super().__init__()
        self.rule = _as_constraint(rule)

    def is_satisfied_by(self, val: Any) -> bool:
        if isinstance(val, str | bytes) or not isinstance(val, list | tuple | np.ndarray):
            return False
        if isinstance(val, np.ndarray) and val.ndim != 1:
            return False
        if len(val) == 0:
            return False
        return all(
            not isinstance(v, bool | np.bool_ | str) and self.rule.is_satisfied_by(v) for v in val
        )

    def __str__(self) -> str:
        return f"a non-empty sequence whose every entry is {self.rule}"


def _constraint_text(constraints: list[Any]) -> str:
    shown = [c for c in constraints if not c.hidden]
    if len(shown) == 1:
        return str(shown[0])
    return f"{', '.join(str(c) for c in shown[:-1])} or {shown[-1]}"


def _allows_booleans(constraints: list[Any]) -> bool:
    """True when a rule other than a numeric interval accepts booleans ("boolean", bool)."""
    return any(
        not isinstance(c, Interval) and c.is_satisfied_by(True) and c.is_satisfied_by(False)
        for c in constraints
    )


def validate_parameters(estimator: Any) -> None:
    """Check every hyper-parameter against the class's ``_parameter_constraints``.

    The rules use scikit-learn's vocabulary (``Interval``, ``StrOptions``, ``None``,
    ``"boolean"``, ``"random_state"``, a type, ...), declared once per class. Besides
    what scikit-learn checks, a boolean is refused where a number belongs (``True`` is
    an ``int`` to Python, but ``n_iter=True`` is always a mistake). Parameters without
    a rule are not checked (the contract tests require a rule for every one).

    Raises
    ------
    InvalidParameterError
        Naming the parameter, the estimator, the allowed values and the value given.

    Examples
    --------
    >>> from transferkit import ULSIF
    >>> try:
    ...     validate_parameters(ULSIF(sigma="bogus"))
    ... except InvalidParameterError as err:
    ...     print(str(err)[:48], "...", str(err)[-22:])
    The 'sigma' parameter of ULSIF must be a float i ... Got 'bogus' instead.
    """
    rules = getattr(type(estimator), "_parameter_constraints", None)
    if not rules:
        return
    caller = type(estimator).__name__
    for name, value in estimator.get_params(deep=False).items():
        declared = rules.get(name)
        if declared is None or declared == "no_validation":
            continue
        constraints = [_as_constraint(c) for c in declared]
        is_bool = isinstance(value, bool | np.bool_)
        if is_bool and not _allows_booleans(constraints):
            raise InvalidParameterError(
                f"The {name!r} parameter of {caller} must be {_constraint_text(constraints)}. "
                f"Got the boolean {value!r} instead (booleans are not numbers here)."
            )
        if any(c.is_satisfied_by(value) for c in constraints):
            continue
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be {_constraint_text(constraints)}. "
            f"Got {value!r} instead."
        )


def format_bytes(n_bytes: float) -> str:
    """Format a byte count with a binary unit, e.g. ``'1.5 GiB'``."""
    value = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024.0 or unit == "TiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024.0
    return f"{value:.1f} TiB"  # pragma: no cover


def _to_numpy(X: Any) -> Any:
    """Return a numpy view of torch tensors; leave everything else untouched."""
    if hasattr(X, "detach") and hasattr(X, "cpu") and hasattr(X, "numpy"):
        return X.detach().cpu().numpy()
    return X


def check_matrix(
    X: Any,
    name: str = "X",
    *,
    min_samples: int = 1,
    n_features: int | None = None,
    dtype: Any = np.float64,
    estimator: str | None = None,
) -> np.ndarray:
    """Validate a 2-D feature matrix and return it as a floating-point array.

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (n_samples, n_features)
        The matrix to validate. Sparse matrices are refused with a hint.
    name : str
        Argument name used in error messages.
    min_samples : int
        Minimum number of rows.
    n_features : int, optional
        Expected number of columns (e.g. the number seen during ``fit``).
    dtype : numpy dtype
        Floating-point dtype of the returned array.
    estimator : str, optional
        Name of the fitted estimator, for the feature-count message.

    Returns
    -------
    numpy.ndarray
        A C-contiguous array of ``dtype``; a copy whenever conversion was needed, so the
        caller's array is never modified by transferkit.

    Raises
    ------
    TransferKitInputError
        If ``X`` is not 2-D, is empty, holds NaN or infinity, or has the wrong width.
    InputTypeError
        If ``X`` holds objects that are not numbers.

    The messages contain scikit-learn's own phrases ("Reshape your data", "Complex data
    not supported", ...), so that code written against scikit-learn recognises them.

    Examples
    --------
    >>> check_matrix([[1, 2], [3, 4]]).dtype
    dtype('float64')
    """
    if X is None:
        raise TransferKitInputError(f"{name} is required but got None.")
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise TransferKitInputError(
            f"{name} is a sparse matrix; transferkit methods need a dense array. "
            f"Convert it with {name}.toarray() (or reduce its dimension first)."
        )
    X = _to_numpy(X)
    try:
        arr = np.asarray(X)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise TransferKitInputError(f"{name} could not be converted to an array: {exc}") from exc
    if arr.dtype.kind in "OUSV":
        try:
            arr = arr.astype(dtype)
        except (TypeError, ValueError) as exc:
            raise InputTypeError(
                f"{name} must hold numbers; got dtype {arr.dtype} that cannot be cast to float "
                f"({exc})."
            ) from exc
    if arr.dtype.kind == "c":
        raise TransferKitInputError(
            f"Complex data not supported: {name} must be real-valued; got dtype {arr.dtype}."
        )
    if arr.ndim != 2:
        hint = (
            f" Reshape your data with {name}.reshape(-1, 1) for a single feature or "
            f"{name}.reshape(1, -1) for a single sample."
            if arr.ndim == 1
            else ""
        )
        raise TransferKitInputError(
            f"{name} must be 2-D (n_samples, n_features); got an array of shape {arr.shape}.{hint}"
        )
    if arr.shape[0] < min_samples:
        raise TransferKitInputError(
            f"{name} must have at least {min_samples} sample(s); got {arr.shape[0]} "
            f"(shape {arr.shape})."
        )
    if arr.shape[1] == 0:
        raise TransferKitInputError(
            f"{name} has no features: 0 feature(s) (shape={arr.shape}) while a minimum of 1 "
            "is required."
        )
    if n_features is not None and arr.shape[1] != n_features:
        who = estimator or "the model"
        raise DomainMismatchError(
            f"{name} has {arr.shape[1]} features, but {who} is expecting {n_features} features "
            f"as input: {n_features} were expected (the number seen during fit); pass the same "
            "features as in fit."
        )
    out = np.array(arr, dtype=dtype, order="C", copy=True)
    if not np.all(np.isfinite(out)):
        n_nan = int(np.isnan(out).sum())
        n_inf = int(np.isinf(out).sum())
        raise TransferKitInputError(
            f"{name} contains {n_nan} NaN and {n_inf} infinite value(s); "
            "impute or drop them before calling transferkit."
        )
    _check_scale(out, name)
    return out


def _check_scale(X: np.ndarray, name: str) -> None:
    """Refuse finite values whose squares overflow or underflow in floating point.

    Every method squares and sums its inputs (norms, covariances, kernels); values near
    1e200 give ``inf`` there (LAPACK then reports "array must not contain infs or NaNs"),
    values near 1e-200 give 0 (a kernel "of rank 0"). The bound leaves room for sums of
    ``n_samples * n_features`` squares.
    """
    if X.size == 0:
        return
    largest = float(np.max(np.abs(X)))
    if largest == 0.0:
        return
    info = np.finfo(X.dtype)
    high = float(np.sqrt(info.max / (16.0 * X.shape[0] * X.shape[1])))
    low = float(np.sqrt(info.tiny)) * 1e4
    if largest > high or largest < low:
        what = "large" if largest > high else "small"
        raise TransferKitInputError(
            f"{name} holds values as {what} as {largest:.3g} in magnitude: their squares "
            f"{'overflow' if what == 'large' else 'underflow'} in {X.dtype} (usable "
            f"magnitudes for this shape: {low:.1e} to {high:.1e}), so distances, "
            "covariances and kernels would be meaningless. Rescale the features first, "
            "e.g. with sklearn.preprocessing.StandardScaler."
        )


def check_labels(
    y: Any,
    n_samples: int,
    name: str = "y",
    *,
    allow_unlabelled: bool = False,
) -> np.ndarray:
    """Validate classification labels.

    Labels may be integers, booleans or strings. Floats are accepted only when every
    value is integral (``1.0``); they are returned as ``int64``. Continuous targets, and
    integral floats of magnitude ``2**63`` or more (which int64 cannot hold and
    scikit-learn would take for continuous values), raise :class:`LabelError`.
    With ``allow_unlabelled=True``, ``-1`` marks an unlabelled sample (scikit-learn's
    semi-supervised convention); string labels may use ``-1`` or ``"-1"``. Missing
    values (None, NaN, pandas ``NA``) are refused with a hint.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels.
    n_samples : int
        Number of rows of the matching feature matrix.
    name : str
        Argument name used in error messages.
    allow_unlabelled : bool
        Whether ``-1`` is allowed as an "unlabelled" marker.

    Returns
    -------
    numpy.ndarray of shape (n_samples,)
        A new array (never a view of the caller's data).

    Examples
    --------
    >>> check_labels([0, 1, 1], 3)
    array([0, 1, 1])
    """
    if y is None:
        raise LabelError(f"{name} is required: this method needs the labels of the samples.")
    y = _to_numpy(y)
    arr = np.array(y, copy=True)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise LabelError(f"{name} must be 1-D (n_samples,); got shape {arr.shape}.")
    if arr.shape[0] != n_samples:
        relation = "longer" if arr.shape[0] > n_samples else "shorter"
        raise LabelError(
            f"{name} has {arr.shape[0]} labels but the matching X has {n_samples} rows "
            f"({name} is {relation}); pass exactly one label per sample"
            + (" (use -1 for unlabelled samples)." if allow_unlabelled else ".")
        )
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise LabelError(f"{name} contains NaN or infinite values; labels must be classes.")
        if not np.all(arr == np.round(arr)):
            raise LabelError(
                f"{name} holds continuous values (e.g. {arr[arr != np.round(arr)][0]!r}); "
                "classification needs discrete class labels (integers or strings)."
            )
        # Beyond 2**63 the int64 cast wraps (1e20 and 2e20 would both become -2**63 and
        # merge two classes), and scikit-learn's classifiers take such floats for
        # continuous targets: refuse them instead of returning a wrong label set.
        too_large = np.abs(arr) >= _INT64_LIMIT
        if too_large.any():
            raise LabelError(
                f"{name} holds {int(too_large.sum())} label value(s) of magnitude 2**63 or "
                f"more (e.g. {arr[too_large][0]!r}), which no 64-bit integer class can hold "
                "exactly; encode the classes first, e.g. "
                "sklearn.preprocessing.LabelEncoder().fit_transform(y), or use strings."
            )
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "O":
        arr = _check_object_labels(arr, name, allow_unlabelled)
    elif arr.dtype.kind not in "iubUS":
        raise LabelError(f"{name} must hold class labels; got dtype {arr.dtype}.")
    return arr


_INT64_LIMIT = float(2**63)


def _is_missing(value: Any) -> bool:
    """None, NaN, pandas' ``NA``/``NaT``: the values a data frame uses for "missing"."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and value != value


def _check_object_labels(arr: np.ndarray, name: str, allow_unlabelled: bool) -> np.ndarray:
    """Object labels (pandas columns): one type, no missing values, a coherent marker.

    With ``allow_unlabelled``, string labels may mark unlabelled samples with ``-1`` or
    ``"-1"``; the integer marker is turned into ``"-1"`` so that the array holds one type.
    """
    missing = [i for i, v in enumerate(arr) if _is_missing(v)]
    if missing:
        raise LabelError(
            f"{name} has {len(missing)} missing value(s) (None/NaN/NA, first at position "
            f"{missing[0]}); "
            + (
                'mark unlabelled target samples with -1 (or "-1" for string labels).'
                if allow_unlabelled
                else "every sample needs a label: drop or label those rows."
            )
        )
    kinds = {type(v) for v in arr}
    if allow_unlabelled and len(kinds) > 1:
        others = [v for v in arr if not _is_int_marker(v)]
        if others and all(isinstance(v, str) for v in others):
            out = arr.copy()
            out[[_is_int_marker(v) for v in arr]] = "-1"
            return out
    if len(kinds) > 1:
        names = sorted(k.__name__ for k in kinds)
        raise LabelError(
            f"{name} mixes label types {names}; use one type for every label (e.g. convert "
            f"with {name}.astype(str))"
            + (', with -1 or "-1" marking unlabelled samples.' if allow_unlabelled else ".")
        )
    return arr


def _is_int_marker(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value == -1


def check_regression_targets(
    y: Any, n_samples: int, name: str = "y", *, allow_unlabelled: bool = False
) -> np.ndarray:
    """Validate continuous regression targets and return them as a new float array.

    With ``allow_unlabelled=True``, ``NaN`` marks an unlabelled sample (``-1`` is a
    legitimate value of a regression target, so it cannot serve as the marker).

    Examples
    --------
    >>> check_regression_targets([0.5, -1.0, 2], 3)
    array([ 0.5, -1. ,  2. ])
    """
    if y is None:
        raise LabelError(f"{name} is required: this method needs the targets of the samples.")
    arr = np.array(_to_numpy(y), copy=True)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise LabelError(f"{name} must be 1-D (n_samples,); got shape {arr.shape}.")
    if arr.shape[0] != n_samples:
        raise LabelError(
            f"{name} has {arr.shape[0]} values but the matching X has {n_samples} rows; "
            "pass exactly one target per sample."
        )
    try:
        arr = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise LabelError(
            f"{name} must hold numbers for regression; got dtype {arr.dtype}."
        ) from exc
    bad = np.isinf(arr) if allow_unlabelled else ~np.isfinite(arr)
    if bad.any():
        hint = " (use NaN to mark unlabelled target samples)" if allow_unlabelled else ""
        raise LabelError(f"{name} contains {int(bad.sum())} non-finite value(s){hint}.")
    return arr


def _unwrap_target(X_target: Any, y_target: Any) -> tuple[Any, Any]:
    if isinstance(X_target, TargetDomain):
        if y_target is not None and X_target.y is not None:
            raise LabelError("y_target was given twice: inside TargetDomain and as y_target.")
        return X_target.X, X_target.y if y_target is None else y_target
    return X_target, y_target


def feature_names_of(X: Any) -> np.ndarray | None:
    """Column names of a DataFrame-like ``X`` when they are all strings, else None.

    Follows scikit-learn: names are kept only when every column name is a string;
    integer column names (e.g. a DataFrame built from an array) mean "no names", and a
    mix of strings and other types is refused. pandas is never imported here.

    Examples
    --------
    >>> feature_names_of([[1.0, 2.0]]) is None
    True
    """
    columns = getattr(X, "columns", None)
    if columns is None or isinstance(X, np.ndarray):
        return None
    names = np.asarray(list(columns), dtype=object)
    is_str = np.array([isinstance(name, str) for name in names], dtype=bool)
    if names.size and is_str.all():
        return names
    if is_str.any():
        kinds = sorted({type(name).__name__ for name in names})
        raise TransferKitInputError(
            f"The column names of the data mix types {kinds}; use strings for all of them "
            "(e.g. X.columns = X.columns.astype(str)) or none of them."
        )
    return None


def check_fit_feature_names(X: Any, X_target: Any) -> np.ndarray | None:
    """Feature names seen at fit (from ``X``); refuse a target whose columns differ.

    ``X_target`` may be a :class:`TargetDomain`. When both domains are DataFrames, their
    columns must be the same names in the same order, since transferkit compares the
    domains column by column.
    """
    names = feature_names_of(X)
    target = X_target.X if isinstance(X_target, TargetDomain) else X_target
    target_names = None if target is None else feature_names_of(target)
    if names is not None and target_names is not None and not _same_names(names, target_names):
        raise DomainMismatchError(
            "X_target's columns do not match X's: "
            + _names_difference(names, target_names)
            + " Select the target columns in the source order: X_target[X.columns]."
        )
    return names


def _same_names(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all(a == b))


def _names_difference(fitted: np.ndarray, names: np.ndarray) -> str:
    unseen = [n for n in names if n not in set(fitted)]
    missing = [n for n in fitted if n not in set(names)]
    if not unseen and not missing:
        return "the same columns in a different order."
    parts = []
    if unseen:
        parts.append(f"unexpected column(s) {unseen[:10]}")
    if missing:
        parts.append(f"missing column(s) {missing[:10]}")
    return " and ".join(parts) + "."


def check_feature_names(
    fitted_names: np.ndarray | None, X: Any, name: str = "X", *, estimator: str = "the model"
) -> None:
    """Check the columns of ``X`` against those seen at fit, as scikit-learn does.

    Raises :class:`DomainMismatchError` when both have names and they differ (other
    names, or the same names in another order: a DataFrame's columns are never silently
    used by position). Warns (``UserWarning``) when only one side has names.

    Examples
    --------
    >>> check_feature_names(None, [[1.0, 2.0]])
    """
    names = feature_names_of(X)
    if fitted_names is None and names is None:
        return
    if fitted_names is None:
        warnings.warn(
            f"{name} has feature names, but {estimator} was fitted without feature names.",
            UserWarning,
            stacklevel=4,
        )
        return
    if names is None:
        warnings.warn(
            f"{name} does not have valid feature names, but {estimator} was fitted with "
            "feature names.",
            UserWarning,
            stacklevel=4,
        )
        return
    if not _same_names(fitted_names, names):
        raise DomainMismatchError(
            f"The feature names of {name} should match those that were passed during fit: "
            + _names_difference(fitted_names, names)
            + f" Select the columns in the fit order: {name}[model.feature_names_in_]."
        )


def check_target_labels(
    y_target: Any, n_target: int, classes: np.ndarray | None
) -> np.ndarray | None:
    """Validate optional, possibly partial target labels (``-1`` = unlabelled).

    Raises :class:`LabelError` if a labelled target sample names a class that does not
    occur in the source, or if the length does not match ``X_target``.
    """
    if y_target is None:
        return None
    yt = check_labels(y_target, n_target, "y_target", allow_unlabelled=True)
    if classes is not None:
        labelled = yt[_labelled_mask(yt)]
        unknown = np.setdiff1d(np.unique(labelled), classes)
        if unknown.size:
            raise LabelError(
                f"y_target contains class(es) {unknown.tolist()[:10]} that never occur in the "
                f"source labels {classes.tolist()[:20]}; transfer needs a shared label space."
            )
    return yt


def _labelled_mask(y: np.ndarray) -> np.ndarray:
    if y.dtype.kind == "f":  # regression targets: NaN marks an unlabelled sample
        return ~np.isnan(y)
    if y.dtype.kind in "iu":
        return y != -1
    if y.dtype.kind in "US":
        return y != "-1"
    return np.array([not (_is_int_marker(v) or v == "-1") for v in y], dtype=bool)


def labelled_mask(y_target: np.ndarray | None, n_target: int) -> np.ndarray:
    """Boolean mask of the labelled target samples (all False when ``y_target`` is None).

    The marker is ``-1`` (or ``"-1"`` for string labels) for classes and ``NaN`` for
    regression targets.
    """
    if y_target is None:
        return np.zeros(n_target, dtype=bool)
    return _labelled_mask(y_target)


SOURCE, TARGET, INTERMEDIATE = "source", "target", "intermediate"
#: skada's default ids (``skada._utils``): one source is ``1``, its target ``-2``.
DEFAULT_SOURCE_ID = 1
DEFAULT_TARGET_ID = -2


@dataclass(frozen=True)
class Domain:
    """One validated domain: its ``id`` (skada's ``sample_domain`` value), role and data.

    Attributes
    ----------
    id : int
        ``>= 0`` for a source, ``< 0`` for the target and intermediate domains.
    role : {"source", "target", "intermediate"}
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or None
        Labels; for the target and intermediate domains ``-1`` (``NaN`` for regression)
        marks an unlabelled sample, and ``None`` means that no sample is labelled.
    """

    id: int
    role: str
    X: np.ndarray
    y: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return int(self.X.shape[0])

    @property
    def labelled(self) -> np.ndarray:
        """Mask of the labelled samples (every source sample is labelled when ``y`` is set)."""
        if self.y is None:
            return np.zeros(self.n_samples, dtype=bool)
        if self.role == SOURCE:
            return np.ones(self.n_samples, dtype=bool)
        return _labelled_mask(self.y)


@dataclass
class Domains:
    """The validated domains of one ``fit`` call (new arrays; inputs untouched).

    Two-domain methods read the views ``X``, ``y`` (every source row, stacked in the
    order of the input), ``X_target``, ``y_target``, ``classes`` and
    ``target_labelled``; multi-domain methods also read ``sample_domain`` (the source id
    of every row of ``X``), ``sources``, ``intermediates`` and ``target``.

    Attributes
    ----------
    X : ndarray of shape (n_source, n_features)
        All source samples (every source domain), in input order.
    y : ndarray of shape (n_source,) or None
        Their labels.
    X_target, y_target : target features and labels (``-1``/``NaN`` = unlabelled), or None
    classes : ndarray or None
        Sorted union of the class sets of all sources (None for regression).
    sample_domain : ndarray of shape (n_source,) of int
        The source id of every row of ``X`` (``1`` throughout for the two-domain call).
    target_id : int
        The target's id (``-2``, skada's default, unless the stacked input says otherwise).
    intermediates : tuple of Domain
        Intermediate (auxiliary) domains, in increasing order of ``abs(id)``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(12.0).reshape(6, 2); y = np.array([0, 1, 0, 1, -1, -1])
    >>> d = check_domains(X, y, sample_domain=[1, 1, 2, 2, -3, -3])
    >>> d.n_sources, d.source_ids.tolist(), d.X.shape, d.X_target.shape, d.target_id
    (2, [1, 2], (4, 2), (2, 2), -3)
    """

    X: np.ndarray
    y: np.ndarray | None
    X_target: np.ndarray | None
    y_target: np.ndarray | None
    classes: np.ndarray | None
    sample_domain: np.ndarray | None = None
    target_id: int = DEFAULT_TARGET_ID
    intermediates: tuple[Domain, ...] = ()

    def __post_init__(self) -> None:
        if self.sample_domain is None:
            self.sample_domain = np.full(self.X.shape[0], DEFAULT_SOURCE_ID, dtype=np.int64)

    @property
    def target_labelled(self) -> np.ndarray:
        """Mask of labelled target rows."""
        n = 0 if self.X_target is None else self.X_target.shape[0]
        return labelled_mask(self.y_target, n)

    @property
    def source_ids(self) -> np.ndarray:
        """Sorted ids of the source domains."""
        return np.unique(self.sample_domain)

    @property
    def n_sources(self) -> int:
        """Number of source domains."""
        return int(self.source_ids.size)

    @property
    def sources(self) -> tuple[Domain, ...]:
        """One :class:`Domain` per source, in increasing id order."""
        out = []
        for sid in self.source_ids:
            mask = self.sample_domain == sid
            y = None if self.y is None else self.y[mask]
            out.append(Domain(int(sid), SOURCE, self.X[mask], y))
        return tuple(out)

    @property
    def target(self) -> Domain | None:
        """The target as a :class:`Domain` (None when the method got no target)."""
        if self.X_target is None:
            return None
        return Domain(int(self.target_id), TARGET, self.X_target, self.y_target)

    @property
    def domains(self) -> tuple[Domain, ...]:
        """Every domain: the sources, the intermediates, then the target."""
        target = self.target
        return self.sources + self.intermediates + (() if target is None else (target,))

    @property
    def n_features(self) -> int:
        """Number of features, shared by every domain."""
        return int(self.X.shape[1])

    def fit_params(self) -> dict[str, Any]:
        """Keyword arguments that give these domains to another estimator's ``fit``.

        ``est.fit(**data.fit_params())`` passes the same domains on (a
        :class:`~transferkit.TransferPipeline` does this with its steps). For one source
        and no intermediate domain it is the plain two-domain call
        ``fit(X=X, y=y, X_target=X_target, y_target=y_target)``; otherwise the sources and
        intermediate domains are stacked in ``X`` with their ``sample_domain`` ids and the
        target stays in ``X_target``.
        """
        params: dict[str, Any] = {
            "X": self.X,
            "y": self.y,
            "X_target": self.X_target,
            "y_target": self.y_target,
        }
        plain = self.n_sources == 1 and self.source_ids[0] == DEFAULT_SOURCE_ID
        if plain and not self.intermediates:
            return params
        Xs = [self.X] + [d.X for d in self.intermediates]
        ids = [self.sample_domain] + [np.full(d.n_samples, d.id) for d in self.intermediates]
        params["X"] = np.vstack(Xs)
        params["sample_domain"] = np.concatenate(ids)
        if self.y is not None:
            ys = [self.y] + [
                _unlabelled_like(self.y, d.n_samples) if d.y is None else d.y
                for d in self.intermediates
            ]
            params["y"] = np.concatenate(ys)
        return params


#: The name used by the first core; every ``_fit(data)`` receives a :class:`Domains`.
ValidatedDomains = Domains


def _unlabelled_like(y: np.ndarray, n: int) -> np.ndarray:
    """``n`` "unlabelled" markers of ``y``'s kind: NaN for floats, -1 otherwise."""
    if y.dtype.kind == "f":
        return np.full(n, np.nan)
    if y.dtype.kind in "US":
        return np.full(n, "-1", dtype=y.dtype if y.dtype.itemsize >= 2 else "U2")
    return np.full(n, -1, dtype=y.dtype if y.dtype.kind in "i" else object)


def check_sample_domain(sample_domain: Any, n_samples: int) -> np.ndarray:
    """Validate skada-style domain ids: one integer per row of ``X``.

    ``id >= 0`` marks a (labelled) source domain, ``id < 0`` the target or an
    intermediate domain (skada counts ``0`` as a source too).

    Examples
    --------
    >>> check_sample_domain([1, 1, -2], 3)
    array([ 1,  1, -2])
    """
    arr = np.array(_to_numpy(sample_domain), copy=True)
    if arr.ndim != 1 or arr.shape[0] != n_samples:
        raise TransferKitInputError(
            f"sample_domain must have one domain id per row of X ({n_samples}); got shape "
            f"{arr.shape}. Use positive ids for the source domains and negative ids for the "
            "target (skada's convention)."
        )
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise TransferKitInputError(
            f"sample_domain must hold integer domain ids; got dtype {arr.dtype}."
        )
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
        raise TransferKitInputError(
            "sample_domain must hold integer domain ids; got non-integral or NaN values."
        )
    return arr.astype(np.int64)


def _check_known_classes(y: np.ndarray, classes: np.ndarray | None, name: str) -> None:
    if classes is None:
        return
    labelled = y[_labelled_mask(y)]
    unknown = np.setdiff1d(np.unique(labelled), classes)
    if unknown.size:
        raise LabelError(
            f"{name} contains class(es) {unknown.tolist()[:10]} that never occur in the "
            f"source labels {classes.tolist()[:20]}; transfer needs a shared label space."
        )


def _none_if_unlabelled(y: np.ndarray | None) -> np.ndarray | None:
    """``None`` when no sample of ``y`` is labelled (as if no labels had been passed)."""
    if y is None or not _labelled_mask(y).any():
        return None
    return y


def check_domains(
    X: Any,
    y: Any = None,
    X_target: Any = None,
    y_target: Any = None,
    *,
    sample_domain: Any = None,
    require_source_labels: bool = True,
    require_target: bool = True,
    require_target_labels: bool = False,
    min_classes: int = 2,
    min_target_samples: int = 1,
    min_source_samples: int = 1,
    classification: bool = True,
) -> Domains:
    """Validate the domains of one ``fit`` call, in either of the two accepted forms.

    * **Two domains**: ``fit(X, y, X_target=..., y_target=None)``; ``X`` is one source.
    * **Stacked** (skada's ``sample_domain`` convention): ``sample_domain`` gives every row
      of ``X`` a domain id. Ids ``>= 0`` are labelled **source** domains (several ids =
      several sources). Negative ids are the **target** and **intermediate** domains,
      whose unlabelled rows carry ``y = -1`` (``NaN`` for regression). The rule that names
      the target: if ``X_target`` is given, the target is ``X_target`` and every negative
      id in ``X`` is an intermediate domain; otherwise ``X`` must hold exactly one
      negative id, the target (skada's fully stacked form). Several negative ids without
      ``X_target`` are ambiguous and raise; pass the target as ``X_target``, or convert
      with :func:`transferkit.compat.from_skada` (``target_domain=``).

    Checks: 2-D finite matrices, one feature count across all domains, non-empty domains,
    labels of the right kind and length, at least ``min_classes`` classes in the union
    of the source label sets, and labelled target/intermediate samples drawn from them.

    Parameters
    ----------
    X, y : stacked sources (and, in the stacked form, target/intermediate rows) and labels.
    X_target, y_target : target features and optional labels (``-1`` = unlabelled);
        ``X_target`` may be a :class:`TargetDomain`.
    sample_domain : array-like of int of shape (n_samples,), optional
        Domain id of every row of ``X``.
    require_source_labels, require_target, require_target_labels : bool
        What the method needs; missing data raises before any computation.
    min_classes : int
        Minimum number of distinct source classes (set 0 to skip).
    min_target_samples, min_source_samples : int
        Minimum numbers of rows.
    classification : bool
        ``False`` for regressors: continuous ``y``, ``NaN`` = unlabelled, ``classes`` None.

    Returns
    -------
    Domains

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(10.0).reshape(5, 2)
    >>> d = check_domains(X, [0, 1, 0, -1, -1], sample_domain=[1, 1, 1, -2, -2])
    >>> d.X.shape, d.X_target.shape, d.y_target is None
    ((3, 2), (2, 2), True)
    """
    if sample_domain is None:
        return check_source_target(
            X,
            y,
            X_target,
            y_target,
            require_source_labels=require_source_labels,
            require_target=require_target,
            require_target_labels=require_target_labels,
            min_classes=min_classes,
            min_target_samples=min_target_samples,
            min_source_samples=min_source_samples,
            classification=classification,
        )
    X_target, y_target = _unwrap_target(X_target, y_target)
    X_all = check_matrix(X, "X", min_samples=1)
    n = X_all.shape[0]
    ids = check_sample_domain(sample_domain, n)
    source = ids >= 0
    n_source = int(source.sum())
    if n_source < max(min_source_samples, 1):
        raise TransferKitInputError(
            f"sample_domain marks {n_source} row(s) of X as source (ids >= 0); at least "
            f"{max(min_source_samples, 1)} labelled source sample(s) are needed. Give the "
            "source rows positive ids and the target rows negative ids."
        )
    negative = [int(i) for i in sorted(np.unique(ids[~source]), key=abs)]
    if X_target is not None:
        target_id = None
        intermediate_ids = negative
    elif len(negative) <= 1:
        target_id = negative[0] if negative else None
        intermediate_ids = []
    else:
        raise TransferKitInputError(
            f"sample_domain has {len(negative)} negative ids {negative} and X_target is not "
            "given, so the target is ambiguous. Pass the target separately as "
            "fit(X, y, sample_domain=..., X_target=X_target) (negative ids left in X are then "
            "intermediate domains), or convert skada data with "
            "transferkit.compat.from_skada(X, y, sample_domain, target_domain=<id>)."
        )
    if target_id is not None and y_target is not None:
        raise LabelError(
            f"y_target was given, but the target rows are inside X (sample_domain {target_id});"
            " put their labels in y (-1 for unlabelled rows) or pass X_target separately."
        )

    y_all = None
    classes = None
    if y is not None or require_source_labels:
        if y is None:
            raise LabelError(
                "y (source labels) is required by this method; pass "
                "fit(X, y, sample_domain=...) with one label per row of X (-1 for unlabelled "
                "target rows)."
            )
        if classification:
            y_all = check_labels(y, n, "y", allow_unlabelled=True)
        else:
            y_all = check_regression_targets(y, n, "y", allow_unlabelled=True)
            if np.isnan(y_all[source]).any():
                raise LabelError(
                    f"y has {int(np.isnan(y_all[source]).sum())} NaN value(s) in source rows "
                    "(sample_domain >= 0); every source sample needs a target value."
                )
    Xs = X_all[source]
    ys = None if y_all is None else y_all[source]
    if classification and ys is not None:
        classes = np.unique(ys)
        if min_classes and classes.size < min_classes:
            raise LabelError(
                f"y (source labels) has {classes.size} class(es) {classes.tolist()} over all "
                f"source domains; at least {min_classes} are needed to learn a classifier."
            )

    Xt = yt = None
    if X_target is not None:
        Xt, yt = _check_target(
            X_target, y_target, Xs.shape[1], classes, classification, min_target_samples
        )
    elif target_id is not None:
        mask = ids == target_id
        Xt = X_all[mask]
        if Xt.shape[0] < min_target_samples:
            raise TransferKitInputError(
                f"The target (sample_domain {target_id}) has {Xt.shape[0]} row(s); at least "
                f"{min_target_samples} are needed."
            )
        if y_all is not None:
            yt = _none_if_unlabelled(y_all[mask])
            if yt is not None and classification:
                _check_known_classes(yt, classes, f"y (target rows, sample_domain {target_id})")
    elif require_target or require_target_labels:
        raise TransferKitInputError(
            "X_target is required: pass the target-domain features as "
            "fit(X, y, X_target=X_target), or give the target rows of X a negative "
            "sample_domain id."
        )
    if require_target_labels and (yt is None or not labelled_mask(yt, Xt.shape[0]).any()):
        raise LabelError(
            "This method needs labelled target samples: pass y_target (or, in the stacked "
            "form, labels in the target rows of y), with "
            + ("-1" if classification else "NaN")
            + " for the unlabelled ones."
        )

    intermediates = []
    for did in intermediate_ids:
        mask = ids == did
        yi = None if y_all is None else _none_if_unlabelled(y_all[mask])
        if yi is not None and classification:
            _check_known_classes(yi, classes, f"y (intermediate domain {did})")
        intermediates.append(Domain(did, INTERMEDIATE, X_all[mask], yi))
    if target_id is None:
        target_id = _free_target_id(ids)
    return Domains(
        Xs,
        ys,
        Xt,
        yt,
        classes,
        sample_domain=ids[source],
        target_id=int(target_id),
        intermediates=tuple(intermediates),
    )


def _free_target_id(ids: np.ndarray) -> int:
    """skada's default target id ``-2`` unless it is taken, else one below the lowest id."""
    if not np.any(ids == DEFAULT_TARGET_ID):
        return DEFAULT_TARGET_ID
    return int(min(ids.min(), DEFAULT_TARGET_ID)) - 1


def _check_target(
    X_target: Any,
    y_target: Any,
    n_features: int,
    classes: np.ndarray | None,
    classification: bool,
    min_target_samples: int,
) -> tuple[np.ndarray, np.ndarray | None]:
    Xt = check_matrix(X_target, "X_target", min_samples=0)
    if Xt.shape[0] < max(min_target_samples, 1):
        raise TransferKitInputError(
            f"X_target must have at least {max(min_target_samples, 1)} sample(s); got "
            f"{Xt.shape[0]} (shape {Xt.shape}). An empty target cannot be adapted to."
        )
    if Xt.shape[1] != n_features:
        raise DomainMismatchError(
            f"Source X has {n_features} features but X_target has {Xt.shape[1]}; both "
            "domains must share one feature space (use the federated or heterogeneous "
            "methods for different feature spaces)."
        )
    yt = None
    if classification:
        yt = check_target_labels(y_target, Xt.shape[0], classes)
    elif y_target is not None:
        yt = check_regression_targets(y_target, Xt.shape[0], "y_target", allow_unlabelled=True)
    return Xt, yt


def check_source_target(
    X: Any,
    y: Any = None,
    X_target: Any = None,
    y_target: Any = None,
    *,
    sample_domain: Any = None,
    require_source_labels: bool = True,
    require_target: bool = True,
    require_target_labels: bool = False,
    min_classes: int = 2,
    min_target_samples: int = 1,
    min_source_samples: int = 1,
    classification: bool = True,
) -> Domains:
    """Validate a source/target pair as received by ``fit``.

    Checks: 2-D finite matrices, the same number of features in both domains, a
    non-empty target, labels of the right kind and length, at least ``min_classes``
    source classes, and target labels drawn from the source classes. With
    ``sample_domain`` the stacked form is validated by :func:`check_domains`.

    Parameters
    ----------
    X, y : source features and labels.
    X_target, y_target : target features and optional labels (``-1`` = unlabelled);
        ``X_target`` may be a :class:`TargetDomain`.
    sample_domain : array-like, optional
        skada-style domain ids of the rows of ``X`` (see :func:`check_domains`).
    require_source_labels : bool
        Raise if ``y`` is missing.
    require_target : bool
        Raise if ``X_target`` is missing.
    require_target_labels : bool
        Raise unless at least one target sample is labelled.
    min_classes : int
        Minimum number of distinct source classes (set 0 to skip).
    min_target_samples, min_source_samples : int
        Minimum numbers of rows.
    classification : bool
        ``False`` for regressors: ``y`` and ``y_target`` are continuous targets
        (:func:`check_regression_targets`), ``NaN`` marks an unlabelled target sample,
        and ``classes`` is None.

    Returns
    -------
    Domains

    Examples
    --------
    >>> import numpy as np
    >>> d = check_source_target(np.ones((4, 2)), [0, 1, 0, 1], np.zeros((3, 2)))
    >>> d.X_target.shape
    (3, 2)
    """
    options = dict(
        require_source_labels=require_source_labels,
        require_target=require_target,
        require_target_labels=require_target_labels,
        min_classes=min_classes,
        min_target_samples=min_target_samples,
        min_source_samples=min_source_samples,
        classification=classification,
    )
    if sample_domain is not None:
        return check_domains(X, y, X_target, y_target, sample_domain=sample_domain, **options)
    X_target, y_target = _unwrap_target(X_target, y_target)
    Xs = check_matrix(X, "X (source)", min_samples=min_source_samples)
    ys = None
    classes = None
    if y is not None or require_source_labels:
        if y is None:
            raise LabelError(
                "y (source labels) is required by this method; pass fit(X, y, X_target=...)."
            )
        if not classification:
            ys = check_regression_targets(y, Xs.shape[0], "y (source targets)")
        else:
            ys = check_labels(y, Xs.shape[0], "y (source labels)")
            classes = np.unique(ys)
        if classification and min_classes and classes.size < min_classes:
            raise LabelError(
                f"y (source labels) has {classes.size} class(es) {classes.tolist()}; at least "
                f"{min_classes} are needed to learn a classifier."
            )
    Xt = None
    yt = None
    if X_target is None:
        if require_target or require_target_labels:
            raise TransferKitInputError(
                "X_target is required: pass the target-domain features as "
                "fit(X, y, X_target=X_target)."
            )
    else:
        Xt, yt = _check_target(
            X_target, y_target, Xs.shape[1], classes, classification, min_target_samples
        )
    if require_target_labels and (yt is None or not labelled_mask(yt, Xt.shape[0]).any()):
        raise LabelError(
            "This method needs labelled target samples: pass y_target (use "
            + ("-1" if classification else "NaN")
            + " for the unlabelled ones)."
        )
    return Domains(Xs, ys, Xt, yt, classes)


def check_option(name: str, value: Any, options: tuple[Any, ...] | list[Any]) -> Any:
    """Raise a clear error unless ``value`` is one of ``options``."""
    if value not in options:
        raise TransferKitInputError(
            f"{name}={value!r} is not supported; choose one of {', '.join(map(repr, options))}."
        )
    return value


def check_positive(name: str, value: Any, *, strict: bool = True, integer: bool = False) -> Any:
    """Raise unless ``value`` is a (strictly) positive real or integer number."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not np.isfinite(value):
        what = "an integer" if integer else "a finite number"
        raise TransferKitInputError(f"{name} must be {what}; got {value!r}.")
    if (strict and value <= 0) or (not strict and value < 0):
        raise TransferKitInputError(f"{name} must be {'> 0' if strict else '>= 0'}; got {value!r}.")
    return value


def check_random_state(random_state: Any) -> np.random.RandomState:
    """Turn ``None``, an int or a ``RandomState`` into a ``numpy.random.RandomState``."""
    return _sk_check_random_state(random_state)


def _parse_memory_limit(limit: str) -> int:
    """Bytes of a ``TRANSFERKIT_MEMORY_LIMIT`` value such as ``"8G"``, ``"512M"`` or ``"1e9"``."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    text = limit.strip().upper().removesuffix("B").removesuffix("I")
    factor = units.get(text[-1:], 1)
    digits = text[:-1] if text[-1:] in units else text
    hint = (
        "Set it to a positive finite size such as '8G' or '512M', or unset it to use the "
        "memory the operating system reports."
    )
    try:
        value = float(digits) * factor
    except ValueError as exc:
        raise TransferKitInputError(
            f"TRANSFERKIT_MEMORY_LIMIT={limit!r} is not a size. {hint}"
        ) from exc
    if not np.isfinite(value) or value <= 0:
        raise TransferKitInputError(
            f"TRANSFERKIT_MEMORY_LIMIT={limit!r} must be a positive finite size. {hint}"
        )
    return int(value)


def available_memory_bytes() -> int:
    """Memory available to this process, in bytes.

    ``TRANSFERKIT_MEMORY_LIMIT`` (bytes, or with a ``K``/``M``/``G`` suffix) overrides
    the value read from the operating system.
    """
    limit = os.environ.get("TRANSFERKIT_MEMORY_LIMIT")
    if limit:
        return _parse_memory_limit(limit)
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - non-Linux
        pass
    try:  # pragma: no cover - non-Linux fallback
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 2**40


def check_memory(
    n_bytes: float,
    what: str,
    *,
    suggestion: str,
    fraction: float = 0.8,
) -> None:
    """Raise :class:`MemoryBudgetError` if ``n_bytes`` exceeds the usable memory.

    Parameters
    ----------
    n_bytes : float
        Estimated peak memory of the exact computation.
    what : str
        Description of the computation, e.g. ``"the 120000 x 120000 RBF kernel"``.
    suggestion : str
        The scalable alternative to propose, e.g.
        ``'approximation="nystroem", n_landmarks=1000'``.
    fraction : float
        Share of the available memory that may be used.

    Examples
    --------
    >>> check_memory(1e3, "a tiny kernel", suggestion="nothing")
    """
    budget = available_memory_bytes() * fraction
    if n_bytes > budget:
        raise MemoryBudgetError(
            f"{what} needs about {format_bytes(n_bytes)}, but only {format_bytes(budget)} "
            f"can be used. Use the scalable option instead: {suggestion}."
        )


def effective_sample_size(weights: np.ndarray) -> float:
    r"""Kish's effective sample size :math:`(\sum_i w_i)^2 / \sum_i w_i^2`."""
    w = np.asarray(weights, dtype=float)
    denom = float(np.sum(w * w))
    return float(np.sum(w) ** 2 / denom) if denom > 0 else 0.0


def check_sample_weights(
    weights: Any, n_samples: int, *, name: str = "weights", warn_below: float = 0.1
) -> np.ndarray:
    """Validate importance weights and warn when they collapse.

    Raises if the weights are not finite, negative or all zero; warns with
    :class:`WeightCollapseWarning` when the effective sample size falls below
    ``warn_below * n_samples``.
    """
    w = np.array(_to_numpy(weights), dtype=np.float64, copy=True).ravel()
    if w.shape[0] != n_samples:
        raise TransferKitInputError(f"{name} has {w.shape[0]} entries for {n_samples} samples.")
    if not np.all(np.isfinite(w)):
        raise TransferKitInputError(
            f"{name} contain NaN or infinite values: the density-ratio estimate blew up. "
            "Use a wider kernel, stronger regularisation or clipping."
        )
    if np.any(w < 0):
        raise TransferKitInputError(f"{name} must be non-negative; got min {w.min():.3g}.")
    if not np.any(w > 0):
        raise TransferKitInputError(
            f"All {name} are zero: no source sample resembles the target. Check that both "
            "domains share features and preprocessing, or widen the kernel."
        )
    ess = effective_sample_size(w)
    if ess < warn_below * n_samples:
        warnings.warn(
            f"{name}: effective sample size {ess:.1f} of {n_samples} source samples "
            f"({100 * ess / n_samples:.1f}%); the weighted model rests on very few samples.",
            WeightCollapseWarning,
            stacklevel=3,
        )
    return w
