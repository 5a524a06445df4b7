"""Importance weighting on Amazon reviews, with the weights' health reported.

Run: ``python examples/reweight_amazon_reviews.py`` (needs the benchmark data; about
3 CPU s) or with ``--quick`` (500 reviews per domain; about 2 CPU s).
Trains logistic regression on books reviews for the kitchen domain: without weights, with
a discriminative density ratio, and with KMM; prints target accuracy and the effective
sample size of the weights.
"""

from __future__ import annotations

import argparse

from sklearn.linear_model import LogisticRegression

from transferkit import KMM, DiscriminativeDensityRatio, SourceOnly, make_transfer_pipeline
from transferkit.datasets import load_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 reviews per domain")
    args = parser.parse_args()
    Xs, ys, Xt, yt = load_task("amazon_review_400", "books", "kitchen")
    if args.quick:
        Xs, ys, Xt, yt = Xs[::4], ys[::4], Xt[::4], yt[::4]
    clf = LogisticRegression(C=0.01, max_iter=1000)
    print(f"source only: {SourceOnly(clf).fit(Xs, ys).score(Xt, yt):.3f}")
    for weighter in (DiscriminativeDensityRatio(random_state=0), KMM(random_state=0)):
        model = make_transfer_pipeline(weighter, clf).fit(Xs, ys, X_target=Xt)
        ess = model.transfer_.effective_sample_size_
        print(
            f"{type(weighter).__name__:28} accuracy {model.score(Xt, yt):.3f}  "
            f"effective sample size {ess:.0f} of {len(Xs)}"
        )


if __name__ == "__main__":
    main()
