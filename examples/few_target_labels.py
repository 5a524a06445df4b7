"""A few labelled target samples: TrAdaBoost with its rounds chosen on those labels.

Run: ``python examples/few_target_labels.py`` (needs the benchmark data; about
4 CPU s) or with ``--quick`` (rounds 1 and 2, 3 folds; about 2 CPU s).
DVD reviews are the source, 5% of the electronics reviews are labelled; every model is
scored on the other 95%. TrAdaBoost's number of rounds is chosen by 5-fold cross-validation on
the labelled dvd reviews only (``choose_by_target_cv``); N = 1 is plain pooled training,
so the search may also say that boosting does not help. Over the 12 Amazon tasks this
beats source-only and target-only training on average but not plain pooling, and on some
tasks (e.g. books -> dvd) it loses to source only: see
``benchmarks/results/instance_amazon_tradaboost.md``.
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from transferkit import SourceOnly, TargetOnly
from transferkit.datasets import load_task
from transferkit.instance import TrAdaBoost
from transferkit.selection import choose_by_target_cv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 2-value grid, 3 folds")
    args = parser.parse_args()
    Xs, ys, Xt, yt = load_task("amazon_review_400", "dvd", "elec")
    labelled, test = train_test_split(
        np.arange(len(yt)), train_size=0.05, stratify=yt, random_state=0
    )
    y_partial = np.full(len(yt), -1)  # -1 = unlabelled target sample
    y_partial[labelled] = yt[labelled]
    clf = LogisticRegression(C=0.01, max_iter=2000)
    for name, model in (("source only", SourceOnly(clf)), ("target only", TargetOnly(clf))):
        model.fit(Xs, ys, X_target=Xt, y_target=y_partial)
        print(f"{name:22} {model.score(Xt[test], yt[test]):.3f}")
    pooled = LogisticRegression(C=0.01, max_iter=2000).fit(
        np.vstack([Xs, Xt[labelled]]), np.concatenate([ys, yt[labelled]])
    )
    print(f"{'pooled':22} {pooled.score(Xt[test], yt[test]):.3f}")
    result = choose_by_target_cv(
        TrAdaBoost(clf, dynamic=True, random_state=0),
        {"n_estimators": [1, 2] if args.quick else [1, 2, 3, 5, 10]},
        Xs,
        ys,
        X_target=Xt,
        y_target=y_partial,
        n_splits=3 if args.quick else 5,
        random_state=0,
    )
    for params, score in result.scores:
        print(f"  rounds {params['n_estimators']:2}: CV accuracy on labelled elec {score:.3f}")
    chosen = result.best_params["n_estimators"]
    accuracy = result.best_estimator.score(Xt[test], yt[test])
    print(f"{'TrAdaBoost, N = ' + str(chosen):22} {accuracy:.3f}")


if __name__ == "__main__":
    main()
