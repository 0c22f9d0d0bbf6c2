"""RL agents (budget.agents) at the defaults U = 2000, N = 200, K = 10, gamma = 0.8.

1. Speed: CPU seconds of one SARSA and one Q-learning run, the current agents against the pre-issue-13
   implementation (bench/_agents_before_issue13.py) on the same worlds in the same run; the ratio must be >= 3.
2. Slate construction: pruned (examinable Pareto front of the candidate set) vs the naive reference that
   scores every remaining item, same model, same run; identical slates required.
3. Quality bar on held-out seeds (1000 and up: no test, notebook or report uses them), fresh users, every
   budget of the sweep: gamma = 0.8 SARSA and Q-learning each >= 0.995 of the exact oracle on average and
   >= 0.99 on every seed, never behind the bandit (SARSA gamma = 0) on a seed by more than 0.2% of the oracle,
   and slot-0 values within 0.03 of the closed-form return (mean absolute error per user, mean over seeds).
   Run on loky with 2 workers; the same grid gives the throughput (runs/min).
4. Robustness: the headline fractions with the models on 1 vs 2 threads (XGBoost sums histograms per thread).
"""
import os, statistics, sys, time
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _agents_before_issue13 as before  # noqa: E402

from value_model_tuning.budget.agents import (epsilon_greedy_slates, expected_return, run_bandit,  # noqa: E402
                                              run_qlearning, run_sarsa)
from value_model_tuning.budget.oracle import knapsack_oracle  # noqa: E402
from value_model_tuning.budget.slates import SimConfig, sample_world  # noqa: E402

QUICK = bool(os.environ.get("BENCH_QUICK"))  # smoke mode: fewer worlds, seeds and budgets
CFG = SimConfig()
GAMMA = 0.8
SEEDS = range(1000, 1003 if QUICK else 1020)
BUDGETS = (100, 500) if QUICK else CFG.budget_locs
SPEED_WORLDS = [(100, 1000)] if QUICK else [(b, s) for b in (100, 300, 500) for s in (1000, 1001)]
MEAN_BAR, SEED_BAR, BANDIT_SLACK, VALUE_BAR, SPEEDUP_BAR = 0.995, 0.99, 0.002, 0.03, 3.0


def cpu_seconds(fn):
    "CPU seconds of fn() (the process's own time: robust to other load on a shared machine), and its result"
    t = time.process_time()
    out = fn()
    return time.process_time() - t, out


def one_point(budget: float, seed: int) -> list[dict]:
    "Bandit, SARSA and Q-learning on one world, scored on its fresh users against the exact oracle"
    with threadpool_limits(1):
        train, fresh = sample_world(CFG, budget, seed), sample_world(CFG, budget, seed, user_stream=1)
        oracle = knapsack_oracle(fresh, delta=None)
        rows = []
        for algo, run in (("bandit", lambda: run_bandit(train, seed=seed)), ("sarsa", lambda: run_sarsa(train, GAMMA, seed=seed)),
                          ("qlearning", lambda: run_qlearning(train, GAMMA, seed=seed))):
            sec, res = cpu_seconds(run)
            slates = res.policy(fresh)
            cal = res.calibration(fresh)
            rows.append(dict(algorithm=algo, budget=budget, seed=seed, cpu_seconds=sec, models=res.iterations,
                             converged=res.converged, fraction_of_oracle=res.evaluate(fresh)["expected_play"] / oracle.play.mean(),
                             value_mae=cal["mae"], value_bias=cal["bias"],
                             beats_oracle_discounted=bool(expected_return(slates, fresh, res.gamma, reward=res.reward).mean()
                                                          > expected_return(oracle.slates, fresh, res.gamma,
                                                                            reward=res.reward).mean())))
        return rows


def headline(n_threads: int) -> pd.Series:
    "Fraction of the oracle of SARSA and Q-learning at gamma = 0.8, b = 100, on a few held-out seeds"
    out = {}
    for seed in SEEDS[:3]:
        train, fresh = sample_world(CFG, 100, seed), sample_world(CFG, 100, seed, user_stream=1)
        orc = knapsack_oracle(fresh, delta=None).play.mean()
        for name, run in (("sarsa", run_sarsa), ("qlearning", run_qlearning)):
            out[(name, seed)] = run(train, GAMMA, seed=seed, n_threads=n_threads).evaluate(fresh)["expected_play"] / orc
    return pd.Series(out)


if __name__ == "__main__":
    pd.set_option("display.width", 160)
    print(f"defaults: U={CFG.n_users} N={CFG.n_items} K={CFG.slate_size} gamma={GAMMA}; {os.cpu_count()} cores; "
          f"CPU seconds (process time), single-threaded", flush=True)

    # 1. speed against the pre-issue-13 agents, same worlds, same run
    rows = []
    for b, s in SPEED_WORLDS:
        train = sample_world(CFG, b, s)
        with threadpool_limits(1):
            for name, new, old in (("sarsa", lambda: run_sarsa(train, GAMMA, seed=s), lambda: before.run_sarsa(train, GAMMA, seed=s)),
                                   ("qlearning", lambda: run_qlearning(train, GAMMA, seed=s),
                                    lambda: before.run_qlearning(train, GAMMA, seed=s))):
                t_new, res = cpu_seconds(new)
                t_old, _ = cpu_seconds(old)
                rows.append(dict(agent=name, budget=b, seed=s, new=t_new, before=t_old, models=res.iterations))
    speed = pd.DataFrame(rows)
    per = speed.groupby("agent")[["new", "before", "models"]].mean()
    per["ratio"] = per["before"] / per["new"]
    print(f"speed over {len(SPEED_WORLDS)} worlds (b, seed) = {SPEED_WORLDS}: mean CPU seconds per run")
    print(per.round(3).to_string())
    for agent, r in per.iterrows():
        print(f"{agent:9s}: {r.before:.2f} s before -> {r.new:.2f} s now ({r.models:.1f} models, stop rule), "
              f"{r.ratio:.1f}x faster (bar >= {SPEEDUP_BAR:g}x: {'PASS' if r.ratio >= SPEEDUP_BAR else 'FAIL'})", flush=True)

    # 2. pruned vs naive candidate scoring, one fitted model
    train, fresh = sample_world(CFG, 100, seed=1000), sample_world(CFG, 100, seed=1000, user_stream=1)
    model = run_sarsa(train, GAMMA, seed=1000).policy.model
    with threadpool_limits(1):
        t_prune = statistics.median(cpu_seconds(lambda: epsilon_greedy_slates(fresh, model, prune=True))[0] for _ in range(3))
        t_full = statistics.median(cpu_seconds(lambda: epsilon_greedy_slates(fresh, model, prune=False))[0] for _ in range(3))
        same = bool((epsilon_greedy_slates(fresh, model, prune=True) == epsilon_greedy_slates(fresh, model, prune=False)).all())
    print(f"greedy slates for {CFG.n_users} users: pruned {t_prune:.3f} s, naive (every remaining item that fits) "
          f"{t_full:.3f} s, ratio naive/pruned {t_full / t_prune:.1f}x, identical slates: {same}", flush=True)

    # 3. quality bar and throughput on loky, 2 workers x 1 thread
    points = [(b, s) for b in BUDGETS for s in SEEDS]
    t = time.perf_counter()
    rows = Parallel(n_jobs=2, backend="loky")(delayed(one_point)(b, s) for b, s in points)
    wall = time.perf_counter() - t
    df = pd.DataFrame([r for rs in rows for r in rs])
    print(f"quality grid: {len(points)} worlds ({len(BUDGETS)} budgets x {len(SEEDS)} held-out seeds "
          f"{SEEDS.start}-{SEEDS.stop - 1}) x 3 agents = {len(df)} runs in {wall:.0f} s on loky 2 workers: "
          f"{len(df) / wall * 60:.1f} runs/min; median CPU per run {df.cpu_seconds.median():.2f} s", flush=True)
    frac = df.pivot_table(index=["budget", "seed"], columns="algorithm", values="fraction_of_oracle")
    table = frac.groupby(level="budget").agg(["mean", "min"])
    print(f"fraction of the oracle's expected play on fresh users, mean/min over {len(SEEDS)} seeds:")
    print(table.round(4).to_string())
    ok = True
    for agent in ("sarsa", "qlearning"):
        g = frac[agent].groupby(level="budget")
        behind = (frac[agent] - frac["bandit"]).min()
        mae = df[df.algorithm == agent].value_mae
        below = df[(df.algorithm == agent) & (df.fraction_of_oracle < SEED_BAR)]
        checks = {f"mean >= {MEAN_BAR} at every budget": g.mean().min() >= MEAN_BAR,
                  f"every seed >= {SEED_BAR}": g.min().min() >= SEED_BAR,
                  f"never behind the bandit by > {BANDIT_SLACK:.1%} of the oracle": behind >= -BANDIT_SLACK,
                  f"value error per user <= {VALUE_BAR} (mean over seeds)": mae.mean() <= VALUE_BAR}
        ok &= all(checks.values())
        print(f"{agent} gamma={GAMMA}: worst budget mean {g.mean().min():.4f} (b={g.mean().idxmin():g}), worst seed "
              f"{g.min().min():.4f}, worst vs bandit {100 * behind:+.2f}% of the oracle, value error {mae.mean():.4f} "
              f"(worst run {mae.max():.4f}), {df[df.algorithm == agent].models.mean():.1f} models per run; "
              + "; ".join(f"{k}: {'PASS' if v else 'FAIL'}" for k, v in checks.items()), flush=True)
        if len(below):
            print(f"  {len(below)} run(s) below {SEED_BAR}: " + ", ".join(
                f"b={r.budget:g} seed {r.seed} ({r.fraction_of_oracle:.4f}; its slates "
                f"{'beat' if r.beats_oracle_discounted else 'do not beat'} the oracle's on the gamma={GAMMA} discounted return)"
                for r in below.itertuples()))
    print(f"quality bar (issue 13) over {len(SEEDS)} seeds x {len(BUDGETS)} budgets: {'PASS' if ok else 'FAIL'}", flush=True)

    # 4. robustness: the models' thread count
    one, two = headline(1), headline(2)
    print(f"threads 1 vs 2, gamma={GAMMA}, b=100, seeds {list(SEEDS[:3])}: fraction of oracle "
          f"max |difference| {np.abs(one - two).max():.2e}; " + ", ".join(f"{a} s{s}: {one[(a, s)]:.4f}/{two[(a, s)]:.4f}"
                                                                         for a, s in one.index), flush=True)
