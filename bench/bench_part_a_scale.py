"""Part A at production scale (issue 12): every figure measured in this run.

(a) Memory: a 10M-row Parquet file (100,000 requests x 100 items x 5 tasks, written from a generator one row group
    of 1M rows at a time) sampled to 3,000 whole requests by `PredictionSet.from_file(..., sample_requests=3000)`:
    peak RSS of a fresh process (target: well under 1 GiB), against reading a 2M-row file whole.
(b) Regret speed: on 2,000 requests x 100 items x 5 tasks at k=20, over datasets (generator settings) x importance
    vectors: `minimize_regret` (default: pattern search) against `tune_gap_targets` (targets = the importances) on
    the same data (target: <= 20x the gap wall time), and its objective against today's minimizer (method="de",
    two seeds); plus the cost of one batched evaluation of each.
(c) Coverage of the 95% bootstrap intervals against a known population (100,000 requests; 2,000 subsamples of 300).
(d) Dask: `evaluate_distributed` on a LocalCluster (2 worker processes) over 8 Parquet files with rows in random order,
    against the in-memory evaluation of the same requests.
(e) Hold-out flags when nothing shifted: 80 tunes on independent samples, each checked on another independent sample.

Timed methods run round-robin (medians); the machine is shared, so wall-time ratios are what to compare.
Usage: python bench/bench_part_a_scale.py [--quick] [--only a,b,c,d,e]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from value_model_tuning.gap import (BootstrapSums, GapEvaluator, TuningWarning, holdout_fractions, interval_frame,
                                    tune_gap_targets)
from value_model_tuning.regret import RegretEvaluator, minimize_regret
from value_model_tuning.value_model import PredictionSet, synthetic_predictions

_WRITER = Path(__file__).resolve().parents[1] / "tools" / "write_synthetic_parquet.py"  # one row group at a time
_READ = r"""
import json, resource, sys, time
from value_model_tuning.value_model import PredictionSet
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
n = None if sys.argv[2] == "all" else int(sys.argv[2])
t0 = time.perf_counter()
ps = PredictionSet.from_file(sys.argv[1], sample_requests=n, seed=0)
print(json.dumps(dict(base_mib=base, peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      seconds=time.perf_counter() - t0, shape=ps.shape)))
"""


def bench_memory(tmp: Path) -> None:
    print("\n(a) sampling whole requests from a large Parquet file (fresh process per read)")
    for rows, n in ((10_000_000, "3000"), (2_000_000, "3000"), (2_000_000, "all")):
        path = tmp / f"p{rows}.parquet"
        if not path.exists():
            t0 = time.perf_counter()
            subprocess.run([sys.executable, str(_WRITER), str(path), str(rows // 100), "100", "1000000"], check=True)
            print(f"  wrote {rows:,} rows ({path.stat().st_size / 2**20:.0f} MiB on disk, row groups of 1M rows) in "
                  f"{time.perf_counter() - t0:.1f} s")
        r = json.loads(subprocess.run([sys.executable, "-c", _READ, str(path), n], capture_output=True, text=True,
                                      check=True).stdout)
        what = "whole file" if n == "all" else f"sample of {n} requests"
        print(f"  {rows:>10,} rows, {what:<24} peak RSS {r['peak_mib']:7.0f} MiB (after imports {r['base_mib']:.0f}), "
              f"{r['seconds']:.2f} s, set {tuple(r['shape'])}")
        if rows == 10_000_000:
            print(f"  target: 10M rows sampled to 3,000 requests well under 1 GiB: {'met' if r['peak_mib'] < 700 else 'MISSED'}")


DATASETS = [dict(), dict(correlation=0.6), dict(heavy_tail=0.3), dict(ragged=True), dict(correlation=0.0, item_sd=1.5),
            dict(request_sd=1.0)]


def timed(fn, rounds: int) -> tuple[float, object]:
    ts, out = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)), out


def bench_regret(quick: bool) -> None:
    Q, N, T, k = 2000, 100, 5, 20
    print(f"\n(b) regret minimization on {Q} x {N} x {T} at k={k}: pattern search (default) vs today's DE, and vs gap tuning")
    ps0 = synthetic_predictions(n_requests=Q, n_items=N, n_tasks=T, seed=0)
    rev, gev = RegretEvaluator.from_predictions(ps0, k=k), GapEvaluator.from_predictions(ps0, k)
    Wb = np.random.default_rng(0).dirichlet(np.ones(T), 20)
    tr, _ = timed(lambda: rev(Wb), 5)
    tg, _ = timed(lambda: gev(Wb), 5)
    print(f"  one batched evaluation (20 weight vectors): regret {1e3 * tr / 20:.2f} ms/vector, gap {1e3 * tg / 20:.2f} "
          f"ms/vector: regret/gap = {tr / tg:.2f} (target <= 1: {'met' if tr <= tg else 'MISSED'})")
    rows = []
    sets = DATASETS[:3] if quick else DATASETS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TuningWarning)
        for d, kw in enumerate(tqdm(sets, desc="datasets", leave=False)):
            ps = synthetic_predictions(n_requests=Q, n_items=N, n_tasks=T, seed=d, **kw)
            for j, a in enumerate([np.array([0.3, 0.5, 0.07, 0.07, 0.06]), np.random.default_rng(d + 10).dirichlet(np.ones(T))]):
                t_gap, g = timed(lambda: tune_gap_targets(ps, a, k=k), 3)
                t_pat, p = timed(lambda: minimize_regret(ps, a, k=k), 2)
                de = []
                for s in ((0,) if quick else (0, 1)):
                    t0 = time.perf_counter()
                    r = minimize_regret(ps, a, k=k, method="de", seed=s)
                    de.append((r.objective, r.n_evals, time.perf_counter() - t0))
                rows.append(dict(dataset=d, settings=str(kw) if kw else "defaults", importances=j, gap_s=t_gap,
                                 gap_evals=g.n_evals, pattern_s=t_pat, pattern_evals=p.n_evals, pattern_obj=p.objective,
                                 de_s=np.mean([x[2] for x in de]), de_evals=np.mean([x[1] for x in de]),
                                 de_obj_mean=np.mean([x[0] for x in de]), de_obj_best=min(x[0] for x in de),
                                 de_obj_worst=max(x[0] for x in de)))
    df = pd.DataFrame(rows)
    df["pattern/gap"] = df.pattern_s / df.gap_s
    df["de/gap"] = df.de_s / df.gap_s
    df["pattern - de mean"] = df.pattern_obj - df.de_obj_mean
    with pd.option_context("display.width", 250, "display.max_columns", 30, "display.float_format", lambda v: f"{v:.4g}"):
        print(df[["settings", "importances", "gap_s", "gap_evals", "pattern_s", "pattern_evals", "de_s", "de_evals",
                  "pattern/gap", "de/gap", "pattern_obj", "de_obj_mean", "pattern - de mean"]].to_string(index=False))
    worse = int((df.pattern_obj > df.de_obj_worst).sum())
    print(f"  over {len(df)} dataset x importance pairs ({len(sets)} datasets, {1 if quick else 2} DE seed(s) each): "
          f"pattern/gap wall time median {df['pattern/gap'].median():.1f}x, max {df['pattern/gap'].max():.1f}x "
          f"(target <= 20: {'met' if df['pattern/gap'].max() <= 20 else 'MISSED'}); today's DE {df['de/gap'].median():.0f}x")
    print(f"  objective, pattern - DE mean: mean {df['pattern - de mean'].mean():+.1e}, range {df['pattern - de mean'].min():+.1e} .. "
          f"{df['pattern - de mean'].max():+.1e}; worse than every DE seed on {worse} of {len(df)}; evaluations "
          f"{df.pattern_evals.median():.0f} vs {df.de_evals.median():.0f} (median)")


def bench_coverage(trials: int) -> None:
    pop = synthetic_predictions(n_requests=100_000, n_items=20, n_tasks=4, ragged=True, seed=42)
    rw = np.random.default_rng(1).choice([0.5, 1.0, 2.0], pop.n_requests)
    w, k, n = np.array([1.0, 2.0, 5.0, 20.0]), 10, 300
    xg = GapEvaluator.from_predictions(pop, k).per_request(w)
    xr = RegretEvaluator.from_predictions(pop, k=k).per_request(w)
    g = np.average(xg, axis=0, weights=rw)
    true_f, true_r = g / g.sum(), np.average(xr, axis=0, weights=rw)
    rng, hit = np.random.default_rng(7), np.zeros(8)
    for m in tqdm(range(trials), desc="coverage trials", leave=False):
        idx = np.sort(rng.choice(pop.n_requests, n, replace=False))
        s = BootstrapSums.from_losses(np.hstack([xg[idx], xr[idx]]), rw[idx], pop.request_ids[idx], 1000, seed=m)
        part = lambda c: BootstrapSums(s.total[c], s.weight, s.boot_total[:, c], s.boot_weight, n)
        f, r = interval_frame(part(slice(0, 4)), pop.tasks), interval_frame(part(slice(4, 8)), pop.tasks, value="regret")
        hit += np.concatenate([(f.low <= true_f) & (true_f <= f.high), (r.low <= true_r) & (true_r <= r.high)])
    cov = hit / trials
    h = 3.29 * np.sqrt(0.95 * 0.05 / trials)
    print(f"\n(c) coverage of 95% intervals, population 100,000 requests (request weights 0.5/1/2), {trials} subsamples of {n}:")
    print("  fractions " + " ".join(f"{c:.3f}" for c in cov[:4]) + " | regrets " + " ".join(f"{c:.3f}" for c in cov[4:])
          + f" | mean {cov.mean():.3f}; 99.9% binomial band around 0.95: [{0.95 - h:.3f}, {0.95 + h:.3f}]")


def bench_dask(tmp: Path) -> None:
    from dask.distributed import Client, LocalCluster
    from value_model_tuning.distributed import evaluate_distributed, evaluate_in_memory
    from value_model_tuning.value_model import ValueModel
    ps = synthetic_predictions(n_requests=20_000, n_items=50, n_tasks=5, ragged=True, seed=3)
    vm = ValueModel(dict(zip(ps.tasks, [1.0, 2.0, 5.0, 20.0, 40.0])))
    rows = ps.to_frame().sample(frac=1.0, random_state=0)
    d = tmp / "dask_data"
    d.mkdir(exist_ok=True)
    for i, part in enumerate(np.array_split(np.arange(len(rows)), 8)):
        rows.iloc[part].to_parquet(d / f"part{i}.parquet", index=False, row_group_size=20_000)
    t0 = time.perf_counter()
    mem = evaluate_in_memory(PredictionSet.from_file(d), vm, k=20)
    t_mem = time.perf_counter() - t0
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as c:
        t0 = time.perf_counter()
        dist = evaluate_distributed(d, vm, k=20, scheduler=c, npartitions=8)
        t_dist = time.perf_counter() - t0
    diff = np.abs(dist.table().to_numpy() - mem.table().to_numpy())
    print(f"\n(d) dask: {ps.n_requests:,} requests ({len(rows):,} rows in 8 files, rows shuffled so requests span files): "
          f"{dist.n_shards} shards on 2 worker processes {t_dist:.1f} s, in memory {t_mem:.1f} s")
    print(f"  largest difference of point values and interval ends from the in-memory evaluation: {diff.max():.1e}")


def bench_holdout(runs: int) -> None:
    flagged, misses = 0, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TuningWarning)
        for s in tqdm(range(runs), desc="hold-out runs", leave=False):
            tune_on = synthetic_predictions(n_requests=900, n_items=30, n_tasks=4, seed=1000 + s)
            held = synthetic_predictions(n_requests=300, n_items=30, n_tasks=4, seed=5000 + s)
            h = holdout_fractions(tune_gap_targets(tune_on, [0.4, 0.3, 0.2, 0.1], k=10), held, k=10, seed=s, tuned_on=tune_on)
            flagged += bool(h.flagged.any())
            misses += int((h.error > 1e-3).sum())
    print(f"\n(e) hold-out checks without a shift: {flagged} of {runs} runs flagged a task (level 0.95, Bonferroni over 4 tasks); "
          f"{misses} of {4 * runs} task checks missed tol on the held-out set (noise, not flagged)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer datasets, DE seeds and trials")
    ap.add_argument("--only", default="a,b,c,d,e", help="sections to run, e.g. a,b")
    args, _ = ap.parse_known_args()  # under bench/run_all.py, argv holds run_all's own selection
    only = set(args.only.split(","))
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        if "a" in only: bench_memory(Path(tmp))
        if "b" in only: bench_regret(args.quick)
        if "c" in only: bench_coverage(500 if args.quick else 2000)
        if "d" in only: bench_dask(Path(tmp))
        if "e" in only: bench_holdout(20 if args.quick else 80)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
