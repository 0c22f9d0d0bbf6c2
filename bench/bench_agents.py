"""RL agents (budget.agents) at the defaults U = 2000, N = 200, K = 10, gamma = 0.8.

1. Wall time of one SARSA and one Q-learning run (median of repeats), with 1 and 2 threads.
2. Slate construction, pruned (non-dominated items only) vs the naive reference that scores every
   remaining item, measured in the same run; and one whole SARSA run against the naive reference.
3. Quality bar: fraction of the exact oracle's expected play on fresh users, seeds x every budget of the
   sweep, SARSA and Q-learning, run on loky with 2 workers; the same grid gives the throughput (runs/min).
"""
import os, statistics, sys, time

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from value_model_tuning.budget.agents import epsilon_greedy_slates, run_qlearning, run_sarsa
from value_model_tuning.budget.oracle import knapsack_oracle
from value_model_tuning.budget.slates import SimConfig, sample_world

QUICK = bool(os.environ.get("BENCH_QUICK"))  # smoke mode: fewer repeats, seeds and budgets
REPEATS = 1 if QUICK else 3
SEEDS = range(2 if QUICK else 5)
BUDGETS = (100, 500) if QUICK else SimConfig().budget_locs
GAMMA, BAR = 0.8, 0.97
CFG = SimConfig()


def median_seconds(fn, repeats=REPEATS):
    "Median wall time of fn() over `repeats` calls, and the last result"
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); out = fn(); times.append(time.perf_counter() - t)
    return statistics.median(times), out


def one_point(budget: float, seed: int) -> list[dict]:
    "Train SARSA and Q-learning on one world, evaluate both and the oracle on its fresh users"
    with threadpool_limits(1):
        train, fresh = sample_world(CFG, budget, seed), sample_world(CFG, budget, seed, user_stream=1)
        oracle = knapsack_oracle(fresh, delta=None).play.mean()
        rows = []
        for algo, run in (("sarsa", run_sarsa), ("qlearning", run_qlearning)):
            res = run(train, GAMMA, seed=seed)
            ev = res.evaluate(fresh)
            rows.append(dict(algorithm=algo, budget=budget, seed=seed, seconds=res.seconds,
                             fraction_of_oracle=ev["expected_play"] / oracle, ess=ev["ess"],
                             in_sample_expected_play=res.train["expected_play"]))
        return rows


if __name__ == "__main__":
    train = sample_world(CFG, 100, seed=0)
    print(f"defaults: U={CFG.n_users} N={CFG.n_items} K={CFG.slate_size} gamma={GAMMA} b=100; "
          f"median of {REPEATS}; {os.cpu_count()} cores", flush=True)

    # 1. single runs
    for threads in (1, 2):
        for name, run in (("sarsa", run_sarsa), ("qlearning", run_qlearning)):
            sec, res = median_seconds(lambda: run(train, GAMMA, seed=0, threads=threads))
            print(f"{name:9s} threads={threads}: {sec:6.2f} s per run ({len(res.train_history)} iterations; "
                  f"target <= 10 s: {'ok' if sec <= 10 else 'MISSED'})", flush=True)

    try:  # the optional LightGBM preset, for the choice of default model
        import lightgbm  # noqa: F401
        for name, run in (("sarsa", run_sarsa), ("qlearning", run_qlearning)):
            sec, _ = median_seconds(lambda: run(train, GAMMA, seed=0, model="lightgbm"))
            print(f"{name:9s} model=lightgbm threads=1: {sec:6.2f} s per run", flush=True)
    except ImportError:
        print("lightgbm not installed: skipping the model=lightgbm timing")

    # 2. pruned vs naive candidate scoring
    model = run_sarsa(train, GAMMA, seed=0).policy.model
    fresh = sample_world(CFG, 100, seed=0, user_stream=1)
    with threadpool_limits(1):
        t_prune, s_prune = median_seconds(lambda: epsilon_greedy_slates(fresh, model, prune=True))
        t_full, s_full = median_seconds(lambda: epsilon_greedy_slates(fresh, model, prune=False))
    print(f"greedy slates for {CFG.n_users} users: pruned {t_prune:.3f} s, naive (all remaining items) "
          f"{t_full:.3f} s, ratio naive/pruned {t_full / t_prune:.1f}x, identical slates: "
          f"{bool((s_prune == s_full).all())}", flush=True)
    if not QUICK:
        t_run_prune, _ = median_seconds(lambda: run_sarsa(train, GAMMA, seed=0), repeats=1)
        t_run_full, _ = median_seconds(lambda: run_sarsa(train, GAMMA, seed=0, prune=False), repeats=1)
        print(f"one SARSA run: pruned {t_run_prune:.2f} s, naive {t_run_full:.2f} s, "
              f"ratio {t_run_full / t_run_prune:.1f}x (1 run each)", flush=True)

    # 3. quality bar and throughput on loky, 2 workers x 1 thread
    points = [(b, s) for b in BUDGETS for s in SEEDS]
    t = time.perf_counter()
    rows = Parallel(n_jobs=2, backend="loky")(delayed(one_point)(b, s) for b, s in points)
    wall = time.perf_counter() - t
    df = pd.DataFrame([r for rs in rows for r in rs])
    n_runs = len(df)
    print(f"grid: {len(points)} worlds x 2 agents = {n_runs} runs (+ {len(points)} oracles) in {wall:.1f} s "
          f"on loky 2 workers: {n_runs / wall * 60:.1f} runs/min; median run {df.seconds.median():.2f} s", flush=True)
    table = df.groupby(["algorithm", "budget"]).fraction_of_oracle.agg(["mean", "min", "count"]).unstack("algorithm")
    pd.set_option("display.width", 160)
    print(f"fraction of oracle expected play on fresh users, gamma={GAMMA}, mean/min over {len(SEEDS)} seeds:")
    print(table.round(4).to_string())
    means = df.groupby(["algorithm", "budget"]).fraction_of_oracle.mean()
    ok = bool((means >= BAR).all())
    print(f"quality bar (mean >= {BAR} at every budget): {'PASS' if ok else 'FAIL'}; "
          f"worst mean {means.min():.4f} ({means.idxmin()})", flush=True)
