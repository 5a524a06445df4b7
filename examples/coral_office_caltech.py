"""Does CORAL help a linear SVM on Office-Caltech10 SURF? (CORAL paper, full protocol.)

Run: ``python examples/coral_office_caltech.py`` (needs the benchmark data, see docs/datasets.md).
Prints, for the 12 source -> target tasks, target accuracy without adaptation and with CORAL.
"""

from __future__ import annotations

from sklearn.svm import LinearSVC

from transferkit import CORAL, SourceOnly, make_transfer_pipeline
from transferkit.datasets import load_task

DOMAINS = "CAWD"


def main() -> None:
    print(f"{'task':6} {'no adaptation':>14} {'CORAL':>8}")
    for source in DOMAINS:
        for target in DOMAINS:
            if source == target:
                continue
            Xs, ys, Xt, yt = load_task("office_caltech10_surf", source, target)
            svm = LinearSVC(dual=False)
            plain = SourceOnly(svm).fit(Xs, ys).score(Xt, yt)
            coral = make_transfer_pipeline(CORAL(lambda_=1.0), svm)
            adapted = coral.fit(Xs, ys, X_target=Xt).score(Xt, yt)
            print(f"{source}->{target:3} {100 * plain:14.1f} {100 * adapted:8.1f}")


if __name__ == "__main__":
    main()
