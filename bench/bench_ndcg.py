"""Batched nDCG@k: value_model_tuning.ndcg.ndcg_at_k against scikit-learn, plain numpy and a bare argsort.

Two inputs of 10k requests x 200 items: continuous scores (no ties), and gains and scores rounded to one decimal
(production-shaped: every row is a few large tied groups, and groups straddle every cutoff). On each, the default
tie policy ("average", scikit-learn's) and the index policy are timed against a bare np.argsort of the same scores.
Every number is measured in this run on the same arrays. Methods are timed round-robin (one call of each per
round) so that load from other processes hits them alike; medians over the rounds are reported.
"""
from __future__ import annotations

import os
import time

import numpy as np
from sklearn.metrics import ndcg_score
from tqdm.auto import tqdm

from value_model_tuning import ndcg as nd

Q, N, K = 10_000, 200, 20  # requests x items, and the cutoff of the k case
ROUNDS = 9
PER_REQUEST_SUBSET = 300  # sklearn one call per request: timed on this many requests, extrapolated to Q
SMALL_N, SMALL_CALLS = 100, 2000  # a tuner's inner loop: one request of the seed data's size, many calls
INDEX = "ours: ties='index'"


def plain_numpy_ndcg(g: np.ndarray, s: np.ndarray, k: int | None) -> np.ndarray:
    "The straightforward vectorized version: stable argsort of -scores, take_along_axis, sorted ideal"
    n = g.shape[1]
    k = n if k is None else min(k, n)
    d = nd.discounts(k)
    dcg = np.take_along_axis(g, np.argsort(-s, axis=1, kind="stable")[:, :k], axis=1) @ d
    idcg = -np.sort(-g, axis=1)[:, :k] @ d
    return np.where(idcg > 0, dcg / np.where(idcg > 0, idcg, 1.0), 1.0)


def sklearn_per_request(g: np.ndarray, s: np.ndarray, k: int | None) -> np.ndarray:
    "How the original scripts use sklearn: one ndcg_score call per request"
    return np.array([ndcg_score(g[i:i + 1], s[i:i + 1], k=k) for i in range(len(g))])


def ours_one_thread(g: np.ndarray, s: np.ndarray, k: int | None) -> np.ndarray:
    "ndcg_at_k with its thread pool disabled (same chunked kernels, calling thread only)"
    saved, nd._MAX_THREADS = nd._MAX_THREADS, 1
    try: return nd.ndcg_at_k(g, s, k=k)
    finally: nd._MAX_THREADS = saved


def time_round_robin(fns: dict, rounds: int) -> tuple[dict[str, float], dict[str, float]]:
    "Median wall time and median process CPU time (s) of each zero-argument callable, one call per round in turn"
    wall, cpu = {name: [] for name in fns}, {name: [] for name in fns}
    for _ in tqdm(range(rounds), desc="rounds", leave=False):
        for name, fn in fns.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    med = lambda d: {name: float(np.median(t)) for name, t in d.items()}
    return med(wall), med(cpu)


def main() -> None:
    rng = np.random.default_rng(0)
    g = rng.exponential(size=(Q, N))
    s = g + rng.normal(scale=0.5, size=(Q, N))  # a noisy ranking: continuous scores, no ties
    inputs = {"continuous": (g, s), "tied (1 decimal)": (g.round(1), s.round(1))}
    sub = slice(0, PER_REQUEST_SUBSET)
    print(f"{Q} requests x {N} items, float64; medians over {ROUNDS} round-robin rounds; "
          f"ndcg_at_k uses up to {nd._MAX_THREADS} threads on {os.cpu_count()} cores; "
          f"load average before: {os.getloadavg()[0]:.2f}")

    # agreement first: a fast wrong answer is worth nothing
    for name, (G, S) in inputs.items():
        for k in (None, K):
            ours = nd.ndcg_at_k(G, S, k=k)
            assert abs(ours.mean() - ndcg_score(G, S, k=k)) < 1e-12
            assert np.allclose(ours[sub], sklearn_per_request(G[sub], S[sub], k), rtol=0, atol=1e-12)
            assert np.allclose(nd.ndcg_at_k(G, S, k=k, ties="index"), plain_numpy_ndcg(G, S, k), rtol=0, atol=1e-12)
    print("agreement on both inputs: ties='average' == sklearn (batched mean and per request), ties='index' == plain numpy"
          " (stable argsort), within 1e-12")

    rows = []
    for name, (G, S) in inputs.items():
        for k in (None, K):
            fns = {
                "ours: ndcg_at_k (ties='average')": lambda: nd.ndcg_at_k(G, S, k=k),
                "ours, 1 thread": lambda: ours_one_thread(G, S, k),
                INDEX: lambda: nd.ndcg_at_k(G, S, k=k, ties="index"),
                "plain numpy (stable argsort)": lambda: plain_numpy_ndcg(G, S, k),
                "sklearn ndcg_score, one batched call": lambda: ndcg_score(G, S, k=k),
                f"sklearn per request ({PER_REQUEST_SUBSET} timed, scaled to {Q})":
                    lambda: sklearn_per_request(G[sub], S[sub], k),
                "bare np.argsort(scores, axis=1)": lambda: np.argsort(S, axis=1),
            }
            med, cpu = time_round_robin(fns, ROUNDS)
            for d in (med, cpu): d[next(n for n in d if n.startswith("sklearn per"))] *= Q / PER_REQUEST_SUBSET  # extrapolate
            rows.append((name, k, med, cpu))

    # wall time is what the targets are about; CPU time (summed over threads) shows the work done, which a
    # busy machine distorts less
    print(f"\n{'method':<50} {'input':>17} {'k':>5} {'wall ms':>9} {'wall / ours':>12} {'cpu ms':>9}")
    for name, k, med, cpu in rows:
        ours = med["ours: ndcg_at_k (ties='average')"]
        for m, t in med.items():
            print(f"{m:<50} {name:>17} {str(k):>5} {1e3 * t:>9.1f} {t / ours:>12.2f} {1e3 * cpu[m]:>9.1f}")
        print()
    for name, k, med, cpu in rows:
        ours, arg = med["ours: ndcg_at_k (ties='average')"], med["bare np.argsort(scores, axis=1)"]
        vs_sk, vs_sort = med["sklearn ndcg_score, one batched call"] / ours, ours / arg
        cpu_sort = cpu["ours: ndcg_at_k (ties='average')"] / cpu["bare np.argsort(scores, axis=1)"]
        print(f"{name}, k={k}: {vs_sk:.1f}x faster than sklearn's batched call (target >= 15: "
              f"{'met' if vs_sk >= 15 else 'MISSED'}); {vs_sort:.2f}x a bare argsort of the same scores (target <= 1.5: "
              f"{'met' if vs_sort <= 1.5 else 'MISSED'}; CPU time {cpu_sort:.2f}x); index policy "
              f"{med[INDEX] / arg:.2f}x")

    load = os.getloadavg()[0]
    print(f"load average after: {load:.2f}" + ("  (other processes held the cores: the second thread could not help much)"
                                               if load > (os.cpu_count() or 1) - 0.5 else ""))

    # the tuners' inner loop: one small request, called thousands of times (fixed per-call overhead)
    g1, s1 = g[0, :SMALL_N].copy(), s[0, :SMALL_N].copy()
    small = {
        "ours: ndcg_at_k": lambda: nd.ndcg_at_k(g1, s1),
        "plain numpy (stable argsort)": lambda: plain_numpy_ndcg(g1[None], s1[None], None),
        "sklearn ndcg_score": lambda: ndcg_score([g1], [s1]),
    }
    per_call = {}
    for name, fn in small.items():
        reps = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(SMALL_CALLS): fn()
            reps.append((time.perf_counter() - t0) / SMALL_CALLS)
        per_call[name] = float(np.median(reps))
    print(f"\none request of {SMALL_N} items (median of 5 x {SMALL_CALLS} calls):")
    for name, t in per_call.items():
        print(f"  {name:<34} {1e6 * t:8.1f} us/call  ({t / per_call['ours: ndcg_at_k']:.2f}x ours)")


if __name__ == "__main__":
    main()
