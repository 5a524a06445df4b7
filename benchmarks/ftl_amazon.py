"""Secure FTL on Amazon reviews split vertically between two parties.

Protocol (one domain, ``kitchen``, 1,999 reviews, 400 features, "standard"
preprocessing): the 400 features are split at random into two disjoint halves, A's and
B's. Reviews are split at random into an overlap (held by both; ``--overlap`` sizes),
700 reviews only A holds (A has the labels of all its reviews) and the rest only B holds,
half of which is B's test set and half a pool used only by the centralised upper bound.
Each party reduces its own 200 features to 40 with a PCA fitted on its own reviews (its
local feature extractor). FTL: d = 16, gamma = 0.1, lambda = 1e-3, learning rate 0.5,
100 full-batch rounds, chosen a priori (no target labels used); B labels its test
reviews by the sign of its score (Algorithm 2).

Rows of the accuracy table (accuracy on B's test reviews, mean ± std over 3 random
splits):

- *FTL*: the protocol (plain mode; the encrypted modes give the same weights to the
  tolerance shown in the cost table, and CKKS is also run end to end on split 0);
- *B alone*: logistic regression on B's features trained on the overlap reviews with
  their labels, i.e. what B could do if A simply handed over the overlap's labels;
- *centralised*: logistic regression on B's features with the labels of the overlap and
  of B's pool (all labels in one place): an upper bound.

Cost: seconds and bytes per round for plain, Paillier (2048-bit) and CKKS on split 0,
both parties in one process. Finally the two parties run as two OS processes
(``transferkit ftl serve`` / ``transferkit ftl train``, Paillier 2048, mutual TLS on
loopback) for 3 rounds and the prediction; their transcripts (every message's type,
round, direction, field kinds and sizes) are written beside the table.

Usage::

    python benchmarks/ftl_amazon.py            # writes results/ftl_amazon.md and transcripts
    python benchmarks/ftl_amazon.py --quick    # one split, few rounds, small keys
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

from transferkit.datasets import load_domain
from transferkit.federated.ftl import LocalChannel, PartyA, PartyB

RESULTS = Path(__file__).resolve().parent / "results"
FTL = dict(hidden_dim=16, gamma=0.1, lam=1e-3, learning_rate=0.5)
A_ONLY = 700
COMPONENTS = 40


def split(X, y, n_overlap, seed):
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(y))
    ov, a_only, b_only = (
        perm[:n_overlap],
        perm[n_overlap : n_overlap + A_ONLY],
        perm[n_overlap + A_ONLY :],
    )
    pool, test = b_only[: len(b_only) // 2], b_only[len(b_only) // 2 :]
    features = rng.permutation(X.shape[1])
    fa, fb = features[: X.shape[1] // 2], features[X.shape[1] // 2 :]
    a_rows = np.concatenate([ov, a_only])
    b_rows = np.concatenate([ov, b_only])
    XA = PCA(COMPONENTS, random_state=seed).fit_transform(X[np.ix_(a_rows, fa)])
    XB = PCA(COMPONENTS, random_state=seed).fit_transform(X[np.ix_(b_rows, fb)])
    XA /= XA[:, 0].std()
    XB /= XB[:, 0].std()
    where = {v: i for i, v in enumerate(b_rows.tolist())}
    idx = {
        k: np.array([where[v] for v in rows])
        for k, rows in (("ov", ov), ("pool", pool), ("test", test))
    }
    return dict(
        XA=XA,
        ya=y[a_rows],
        ids_a=a_rows,
        XB=XB,
        ids_b=b_rows,
        overlap=ov,
        y=y,
        ov=ov,
        pool=pool,
        test=test,
        idx=idx,
    )


def ftl_accuracy(s, mode, rounds, key_bits=None):
    a = PartyA(
        s["XA"],
        s["ya"],
        s["ids_a"],
        s["overlap"],
        mode=mode,
        key_bits=key_bits,
        random_state=0,
        **FTL,
    )
    b = PartyB(s["XB"], s["ids_b"], s["overlap"], random_state=1)
    channel = LocalChannel(b)
    a.fit(channel, rounds=rounds)
    a.predict_for_partner(channel)
    pred = np.where(b.scores_ > 0, a.classes_[1], a.classes_[0])
    test = s["idx"]["test"]
    return float((pred[test] == s["y"][s["test"]]).mean()), a, b, channel


def baselines(s):
    XB, y, idx = s["XB"], s["y"], s["idx"]
    alone = LogisticRegression(max_iter=2000).fit(XB[idx["ov"]], y[s["ov"]])
    central = LogisticRegression(max_iter=2000).fit(
        XB[np.r_[idx["ov"], idx["pool"]]], y[np.r_[s["ov"], s["pool"]]]
    )
    test, yt = XB[idx["test"]], y[s["test"]]
    return float(alone.score(test, yt)), float(central.score(test, yt))


def cost(s, mode, key_bits, rounds):
    t0 = time.perf_counter()
    _, a, b, channel = ftl_accuracy(s, mode, rounds, key_bits)
    sizes = channel.transcript.bytes_per_round()
    return {
        "seconds": [h.seconds for h in a.history_],
        "mb": [sizes[r] / 1e6 for r in range(rounds)],
        "W": (a.W_, b.W_),
        "loss": [h.loss for h in a.history_],
        "total": time.perf_counter() - t0,
    }


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def two_processes(s, rounds, key_bits, out_dir):
    """B and A as two OS processes over mutual TLS; returns both transcripts."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    cli = [sys.executable, "-m", "transferkit.cli", "ftl"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.savez(tmp / "a.npz", X=s["XA"], y=s["ya"], ids=s["ids_a"], overlap=s["overlap"])
        np.savez(tmp / "b.npz", X=s["XB"], ids=s["ids_b"], overlap=s["overlap"])
        for who in ("a", "b"):
            subprocess.run(
                [*cli, "certs", "--out", str(tmp / who)], env=env, check=True, capture_output=True
            )
        port = free_port()
        server = subprocess.Popen(
            [
                *cli,
                "serve",
                "--party",
                "b",
                "--data",
                str(tmp / "b.npz"),
                "--port",
                str(port),
                "--cert-dir",
                str(tmp / "b"),
                "--peer-cert",
                str(tmp / "a" / "cert.pem"),
                "--random-state",
                "1",
                "--predictions-out",
                str(tmp / "scores.npz"),
                "--transcript",
                str(out_dir / "ftl_amazon_transcript_b.json"),
            ],
            env=env,
        )
        t0 = time.perf_counter()
        try:
            subprocess.run(
                [
                    *cli,
                    "train",
                    "--party",
                    "a",
                    "--data",
                    str(tmp / "a.npz"),
                    "--peer",
                    f"127.0.0.1:{port}",
                    "--cert-dir",
                    str(tmp / "a"),
                    "--peer-cert",
                    str(tmp / "b" / "cert.pem"),
                    "--rounds",
                    str(rounds),
                    "--mode",
                    "paillier",
                    "--key-bits",
                    str(key_bits),
                    "--hidden-dim",
                    str(FTL["hidden_dim"]),
                    "--gamma",
                    str(FTL["gamma"]),
                    "--lam",
                    str(FTL["lam"]),
                    "--learning-rate",
                    str(FTL["learning_rate"]),
                    "--random-state",
                    "0",
                    "--transcript",
                    str(out_dir / "ftl_amazon_transcript_a.json"),
                ],
                env=env,
                check=True,
            )
        finally:
            server.wait(120)
        wall = time.perf_counter() - t0
        scores = np.load(tmp / "scores.npz")["scores"]
    return wall, scores


def transcript_table(path):
    data = json.loads(Path(path).read_text())
    rows = [
        "| round | direction | message | bytes | fields (kind: bytes) |",
        "|---|---|---|---|---|",
    ]
    for m in data["messages"]:
        fields = ", ".join(f"{n} ({f['kind']}: {f['bytes']:,})" for n, f in m["fields"].items())
        rows.append(
            f"| {m['round']} | {m['direction']} | {m['type']} | {m['bytes']:,} | {fields} |"
        )
    return rows, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one split, few rounds")
    args = parser.parse_args()
    X, y = load_domain("amazon_review_400", "kitchen", preprocessing="standard")
    overlaps = (100,) if args.quick else (100, 300)
    seeds = (0,) if args.quick else (0, 1, 2)
    rounds = 5 if args.quick else 100
    bits = 512 if args.quick else 2048
    lines = ["# Secure FTL on Amazon reviews (kitchen), features split between two parties", ""]
    lines += [__doc__.split("Usage::")[0].strip().split("\n\n", 1)[1], ""]
    lines += [
        "## Accuracy on B's test reviews",
        "",
        "| overlap | FTL | B alone (overlap labels) | centralised (upper bound) |",
        "|---|---|---|---|",
    ]
    splits = {}
    for n_overlap in overlaps:
        acc = {"ftl": [], "alone": [], "central": []}
        for seed in seeds:
            s = split(X, y, n_overlap, seed)
            splits[(n_overlap, seed)] = s
            acc["ftl"].append(ftl_accuracy(s, "plain", rounds)[0])
            alone, central = baselines(s)
            acc["alone"].append(alone)
            acc["central"].append(central)
            print(n_overlap, seed, acc["ftl"][-1], alone, central, flush=True)
        cells = [f"{100 * np.mean(v):.1f} ± {100 * np.std(v):.1f}" for v in acc.values()]
        lines.append(f"| {n_overlap} | " + " | ".join(cells) + " |")
    s0 = splits[(overlaps[-1], 0)]
    ckks_acc = ftl_accuracy(s0, "ckks", rounds)[0]
    plain_acc = ftl_accuracy(s0, "plain", rounds)[0]
    lines += [
        "",
        f"End to end in CKKS mode on split 0 (overlap {overlaps[-1]}, {rounds} rounds): "
        f"{100 * ckks_acc:.1f} % (plain mode on the same split: {100 * plain_acc:.1f} %).",
        "",
    ]
    cost_rounds = 2
    lines += [
        "## Cost per round (split 0, overlap "
        f"{overlaps[-1]}, {COMPONENTS} + 1 inputs per "
        "party, d = 16; both parties in one process)",
        "",
        "| mode | key | seconds / round | MB / round | max weight diff vs plain |",
        "|---|---|---|---|---|",
    ]
    runs = {
        m: cost(s0, m, k, cost_rounds)
        for m, k in (("plain", None), ("paillier", bits), ("ckks", None))
    }
    for mode, r in runs.items():
        dw = max(float(np.abs(r["W"][i] - runs["plain"]["W"][i]).max()) for i in (0, 1))
        key = {"plain": "none", "paillier": f"{bits} bits", "ckks": "N=8192"}[mode]
        lines.append(
            f"| {mode} | {key} | {np.mean(r['seconds']):.2f} | {np.mean(r['mb']):.2f} | {dw:.1e} |"
        )
        print(mode, r["seconds"], r["mb"], flush=True)
    if not args.quick:
        RESULTS.mkdir(parents=True, exist_ok=True)
        tls_rounds = 3
        wall, scores = two_processes(s0, tls_rounds, bits, RESULTS)
        table, data_a = transcript_table(RESULTS / "ftl_amazon_transcript_a.json")
        per_round = data_a["bytes_per_round"]
        lines += [
            "",
            "## Two OS processes over mutual TLS (Paillier "
            f"{bits}, {tls_rounds} rounds + prediction)",
            "",
            f"Wall time {wall:.1f} s including start-up, key generation and "
            f"prediction for {len(scores)} reviews. Seconds per round at A: "
            + ", ".join(f"{r['seconds']:.1f}" for r in data_a["rounds"])
            + ". Bytes on the wire per round: "
            + ", ".join(f"round {k}: {v / 1e6:.2f} MB" for k, v in per_round.items())
            + ". Transcripts: `ftl_amazon_transcript_a.json` (A's side) and "
            "`ftl_amazon_transcript_b.json` (B's side). Every field is a ciphertext, "
            "masked values, a public key or control data:",
            "",
            *table,
        ]
    lines += [
        "",
        f"Machine: {os.cpu_count()} cores shared with other jobs (load average "
        f"{os.getloadavg()[0]:.1f} at the end), "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC.",
    ]
    text = "\n".join(lines) + "\n"
    if not args.quick:
        (RESULTS / "ftl_amazon.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
