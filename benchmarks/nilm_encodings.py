"""V-I image encodings on the two real NILM subsets: binary, weighted, colour, WRG.

Protocol (measured by this script):

* data: the PLAID 2018 subset (250 events, 12 appliances, one 60 Hz cycle per event,
  ``load_plaid_subset().to_waveforms()``, rows used as they are) and the HFHAD-C subset
  (240 recordings of 3 s, 12 appliances, 50 Hz; ``steady_cycles_batch`` averages 10 steady
  cycles at 128 points per cycle);
* features: ``vi_image(v, i, size=32, encoding=...)`` flattened, for ``binary``,
  ``weighted``, ``colour`` (3 channels) and ``wrg`` (epsilon 0.1 A, delta 20);
* classifier: logistic regression (C=1, standardised pixels) and a random forest
  (200 trees), scikit-learn defaults otherwise;
* evaluation: ``evaluate_appliance_classifier``. Neither subset has house ids, so it is
  stratified 5-fold (not leave-one-house-out) x 3 seeds; macro-F1 and accuracy on the pooled
  out-of-fold predictions, mean ± std over seeds. Random folds keep the same appliance in
  training and test, so these numbers are optimistic next to the leave-one-house-out ones
  of the literature (Faustine & Pereira 2020: 84.75 macro-F1 with V-I images on full PLAID,
  92.9 under a random split).

Run: ``python benchmarks/nilm_encodings.py`` (``--seeds``, ``--classifiers`` to run less;
``--quick``: 1 seed, PLAID only, logistic regression, nothing written).
Writes ``benchmarks/results/nilm_encodings.{md,json}``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, write_json, write_markdown
from transferkit.datasets import load_hfhadc_subset, load_plaid_subset
from transferkit.nilm import ENCODINGS, evaluate_appliance_classifier, steady_cycles_batch, vi_image

SIZE = 32


def classifiers(seed: int) -> dict:
    return {
        "logreg": make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000)),
        "random forest": RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1),
    }


def cycles() -> dict:
    plaid = load_plaid_subset().to_waveforms()
    hf = load_hfhadc_subset().to_waveforms()
    t = time.perf_counter()
    V_cn, I_cn = steady_cycles_batch(hf, n_points=128, n_cycles=10)
    seconds = time.perf_counter() - t
    return {
        "PLAID 2018 subset": (
            np.stack([r.voltage for r in plaid]),
            np.stack([r.current for r in plaid]),
            plaid.labels,
            None,
        ),
        "HFHAD-C subset": (V_cn, I_cn, hf.labels, seconds),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument(
        "--classifiers",
        nargs="+",
        choices=["logreg", "random forest"],
        default=["logreg", "random forest"],
    )
    ap.add_argument("--quick", action="store_true", help="1 seed, PLAID, logreg, no files")
    args = ap.parse_args(argv)
    seeds = [0] if args.quick else list(range(args.seeds))
    data = cycles()
    if args.quick:
        data = {"PLAID 2018 subset": data["PLAID 2018 subset"]}
    rows = []
    for dname, (V, I, y, cycle_s) in data.items():  # noqa: E741
        for enc in ENCODINGS:
            t = time.perf_counter()
            X = vi_image(V, I, size=SIZE, encoding=enc).reshape(len(y), -1).astype(float)
            image_s = time.perf_counter() - t
            names = ["logreg"] if args.quick else list(args.classifiers)
            for cname in names:
                for seed in seeds:
                    t = time.perf_counter()
                    res = evaluate_appliance_classifier(
                        classifiers(seed)[cname], X, y, n_splits=5, random_state=seed
                    )
                    rows.append(
                        dict(
                            data=dname,
                            encoding=enc,
                            classifier=cname,
                            seed=seed,
                            protocol=res.protocol,
                            macro_f1=res.macro_f1,
                            accuracy=res.accuracy,
                            image_s=image_s,
                            cycle_s=cycle_s,
                            fit_s=time.perf_counter() - t,
                        )
                    )
                    print(f"{dname} | {enc} | {cname} | seed {seed}: {res.summary()}", flush=True)
    report(rows, seeds, args)


def report(rows, seeds, args) -> None:
    lines = [
        "| data | encoding | classifier | macro-F1 (%) | accuracy (%) | protocol | "
        "images (s) | evaluation (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    keys = list(dict.fromkeys((r["data"], r["encoding"], r["classifier"]) for r in rows))
    summary = []
    for d, e, c in keys:
        sel = [r for r in rows if (r["data"], r["encoding"], r["classifier"]) == (d, e, c)]
        f1 = np.array([r["macro_f1"] for r in sel])
        acc = np.array([r["accuracy"] for r in sel])
        fit = np.mean([r["fit_s"] for r in sel])
        summary.append(
            dict(
                data=d,
                encoding=e,
                classifier=c,
                macro_f1_mean=float(f1.mean()),
                macro_f1_std=float(f1.std()),
                accuracy_mean=float(acc.mean()),
                accuracy_std=float(acc.std()),
                n_seeds=len(sel),
                protocol=sel[0]["protocol"],
            )
        )
        lines.append(
            f"| {d} | {e} | {c} | {100 * f1.mean():.1f} ± {100 * f1.std():.1f} | "
            f"{100 * acc.mean():.1f} ± {100 * acc.std():.1f} | {sel[0]['protocol']} | "
            f"{sel[0]['image_s']:.2f} | {fit:.1f} |"
        )
    env = environment()
    cyc = [r["cycle_s"] for r in rows if r["cycle_s"] is not None]
    md = (
        f"""# V-I image encodings on the real NILM subsets

Produced by `benchmarks/nilm_encodings.py` (seeds {seeds}, classifiers
{", ".join(dict.fromkeys(r["classifier"] for r in rows))}; numpy {env["numpy"]},
{env["date_utc"]} UTC, a shared CPU). 32x32 images from `transferkit.nilm.vi_image`;
PLAID rows are one 60 Hz cycle each, HFHAD-C cycles come from `steady_cycles_batch`
(10 steady cycles averaged, 128 points per cycle{
            f"; {cyc[0]:.1f} s for 240 recordings" if cyc else ""
        }). Macro-F1 and accuracy on pooled out-of-fold predictions, mean ± std over seeds.
**Protocol: stratified 5-fold, not leave-one-house-out** (neither subset has house ids;
random folds are optimistic: Faustine & Pereira 2020 report 84.75 macro-F1 for V-I images
leaving one house out of full PLAID, 92.9 under a random split). Times: building the 250
or 240 images (s) and one whole 5-fold evaluation (s).

"""
        + "\n".join(lines)
        + "\n"
    )
    print(md)
    if args.quick:
        return
    write_markdown("nilm_encodings", md)
    write_json("nilm_encodings", {"environment": env, "summary": summary, "runs": rows})


if __name__ == "__main__":
    main()
