"""Secure FTL: seconds and bytes per training round for plain, Paillier and CKKS.

The setting of the issue: 1,000 overlapping samples, 32-dimensional hidden
representations (31 features + bias per party, 1,500 labelled samples at A). Both
parties run in this one process, one after the other, so a round's seconds are the
*sum* of both parties' work (between two machines, or two processes, they overlap).
The quality measure of the same run: each encrypted mode's loss and updated weights
against plain mode's after the same rounds (fixed-point / CKKS error).

Usage::

    python benchmarks/ftl_cost.py            # 2048-bit Paillier, CKKS degree 8192
    python benchmarks/ftl_cost.py --quick    # 100 samples, 8 dims, 512-bit keys: seconds
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from transferkit.federated.ftl import LocalChannel, PartyA, PartyB

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def problem(n_overlap: int, n_a: int, n_b: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n_total = n_a + n_b - n_overlap
    z = rng.normal(size=(n_total, 4))
    y = (z[:, 0] + 0.5 * z[:, 1] > 0).astype(int)
    ids = np.arange(n_total)
    a_rows = np.arange(n_a)
    b_rows = np.concatenate([np.arange(n_overlap), np.arange(n_a, n_total)])
    X_a = z[a_rows] @ rng.normal(size=(4, p)) + 0.5 * rng.normal(size=(n_a, p))
    X_b = z[b_rows] @ rng.normal(size=(4, p)) + 0.5 * rng.normal(size=(n_b, p))
    return X_a, y[a_rows], ids[a_rows], X_b, ids[b_rows], ids[:n_overlap]


def run(mode: str, key_bits: int | None, rounds: int, data, d: int):
    X_a, y_a, ids_a, X_b, ids_b, overlap = data
    kw = dict(hidden_dim=d, gamma=0.5, lam=1e-3, learning_rate=0.1, random_state=0)
    a = PartyA(X_a / 4, y_a, ids_a, overlap, mode=mode, key_bits=key_bits, **kw)
    b = PartyB(X_b / 4, ids_b, overlap, random_state=1)
    channel = LocalChannel(b)
    t0, c0 = time.perf_counter(), time.process_time()
    a.fit(channel, rounds=rounds)
    total = time.perf_counter() - t0
    cpu = time.process_time() - c0
    per_round = [h.seconds for h in a.history_]
    sizes = channel.transcript.bytes_per_round()
    return {
        "seconds": per_round,
        "total": total,
        "cpu_per_round": cpu / rounds,
        "bytes": [sizes[r] for r in range(rounds)],
        "loss": [h.loss for h in a.history_],
        "W_a": a.W_,
        "W_b": b.W_,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small keys and data: seconds")
    args = parser.parse_args()
    if args.quick:
        n, n_a, n_b, p, d, rounds = 100, 150, 130, 7, 8, 1
        bits = {"plain": None, "paillier": 512, "ckks": 8192}
    else:
        n, n_a, n_b, p, d, rounds = 1000, 1500, 1300, 31, 32, 2
        bits = {"plain": None, "paillier": 2048, "ckks": 8192}
    data = problem(n, n_a, n_b, p)
    results = {}
    for mode in ("plain", "paillier", "ckks"):
        results[mode] = run(mode, bits[mode], rounds, data, d)
        print(mode, [f"{s:.1f}s" for s in results[mode]["seconds"]], flush=True)
    plain = results["plain"]
    lines = [
        "# Secure FTL: cost of one training round",
        "",
        f"{n} overlapping samples, {d}-dimensional representations, {p} features + bias per "
        f"party, {n_a} labelled samples at A; {rounds} rounds per mode, both parties in one "
        "process (seconds = A's work + B's work; two processes overlap them). Paillier: "
        f"{bits['paillier']}-bit keys, {(bits['paillier'] - 1) // 120} values per ciphertext, "
        "DJN fixed-base "
        "randomness, Pippenger multi-exponentiation; CKKS: TenSEAL, ring degree 8192. "
        "Quality: the same run's largest difference from plain mode in loss and in the "
        "updated weights after the last round.",
        "",
        "| mode | key | wall seconds / round (each round) | CPU seconds / round | MB sent / "
        "round | max loss diff vs plain | max weight diff vs plain |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode, r in results.items():
        key = {"plain": "none", "paillier": f"{bits['paillier']} bits", "ckks": "N=8192"}[mode]
        secs = ", ".join(f"{s:.1f}" for s in r["seconds"])
        mb = np.mean(r["bytes"]) / 1e6
        dl = max(abs(x - y) for x, y in zip(r["loss"], plain["loss"], strict=True))
        dw = max(
            float(np.abs(r["W_a"] - plain["W_a"]).max()),
            float(np.abs(r["W_b"] - plain["W_b"]).max()),
        )
        cpu = r["cpu_per_round"]
        lines.append(f"| {mode} | {key} | {secs} | {cpu:.1f} | {mb:.2f} | {dl:.1e} | {dw:.1e} |")
    slowest = max(results["paillier"]["seconds"])
    cpu = results["paillier"]["cpu_per_round"]
    lines += [
        "",
        f"Paillier round under a minute: **{'yes' if slowest < 60 else 'NO'}** "
        f"(slowest round {slowest:.1f} s wall clock, {cpu:.1f} s of CPU for both parties "
        "together; the machine is shared, so wall time includes waiting for a core).",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores shared with other jobs (load average "
        f"{os.getloadavg()[0]:.1f} at the end), {time.strftime('%Y-%m-%d %H:%M', time.gmtime())}"
        " UTC.",
    ]
    if not args.quick:
        os.makedirs(RESULTS, exist_ok=True)
        with open(os.path.join(RESULTS, "ftl_cost.md"), "w") as fh:
            fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
