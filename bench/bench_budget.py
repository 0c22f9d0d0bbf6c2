"""Budget slates: the knapsack oracle for one default world, and closed-form play of 2000 slates.

References measured in the same run:
- oracle: the textbook dense DP V[k][w] of SPEC B.2 over all N items and every capacity unit up to the
  largest budget (delta = 0.01), value only, one rounding — less work than the oracle does (no back-track,
  no bracket, no exact frontier);
- closed form: two per-user loops computing the same play probabilities (checked equal): calling
  `expected_play` on one user's slate at a time, and a hand-written scalar Python loop (no numpy).
"""
import math
import statistics
import time

import numpy as np

from value_model_tuning.budget.oracle import knapsack_oracle
from value_model_tuning.budget.slates import SimConfig, expected_play, sample_world


def median_time(f, repeat: int) -> float:
    "Median wall time of `repeat` calls of f()"
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def dense_dp_value(world, delta: float = 0.01) -> np.ndarray:
    "Naive reference: dense V[k][w] over all items and capacities 0..max budget; best value per user"
    units = np.ceil(world.cost / delta).astype(np.int64)
    cap = np.ceil(world.budgets / delta).astype(np.int64) - 1
    K, W = world.slate_size, int(cap.max())
    V = np.zeros((K + 1, W + 1))
    for v, c in zip(world.item_value, units):
        if c > W: continue
        np.maximum(V[1:, c:], V[:-1, :W + 1 - c] + v, out=V[1:, c:])
    return V[K, np.maximum(cap, 0)]


def loop_expected_play(slates: np.ndarray, world) -> np.ndarray:
    "Naive reference: per-user, per-slot Python loop of the MNL closed form"
    rel, cost, out = world.relevance.tolist(), world.cost.tolist(), []
    null = math.exp(world.null_logit)
    for u, slate in enumerate(slates.tolist()):
        spent, W = 0.0, 0.0
        for i in slate:
            spent += cost[i]
            if spent >= world.budgets[u]: break
            W += math.exp(rel[i])
        out.append(W / (null + W))
    return np.array(out)


if __name__ == "__main__":
    cfg = SimConfig()
    print(f"defaults: N={cfg.n_items}, K={cfg.slate_size}, U={cfg.n_users}")
    for b in (100, 500):
        world = sample_world(cfg, b, seed=0)
        t_exact = median_time(lambda: knapsack_oracle(world, delta=None), 7)
        t_full = median_time(lambda: knapsack_oracle(world), 5)
        t_dense = median_time(lambda: dense_dp_value(world), 3)
        orc = knapsack_oracle(world)
        W_dense = dense_dp_value(world)
        assert np.all(W_dense <= np.exp(world.null_logit) * orc.play / (1 - orc.play) * (1 + 1e-9) + 1e-9)  # rounded-up DP cannot beat the exact optimum
        print(f"oracle b={b}: exact frontier {t_exact * 1e3:.0f} ms | with delta=0.01 bracket {t_full * 1e3:.0f} ms "
              f"(target <= 200 ms) | dense textbook DP, one rounding, no back-track {t_dense * 1e3:.0f} ms | "
              f"ratio dense/full oracle {t_dense / t_full:.1f}x, dense/exact {t_dense / t_exact:.1f}x")

    world = sample_world(cfg, 200, seed=1)
    slates = np.argsort(np.random.default_rng(0).random((world.n_users, world.n_items)), axis=1)[:, :world.slate_size]
    users = [world.with_budgets(world.budgets[u:u + 1]) for u in range(world.n_users)]
    per_user = lambda: np.concatenate([expected_play(slates[u:u + 1], wu) for u, wu in enumerate(users)])
    vec = expected_play(slates, world)
    diff = max(np.abs(vec - loop_expected_play(slates, world)).max(), np.abs(vec - per_user()).max())
    assert diff < 1e-12, diff
    t_vec = median_time(lambda: expected_play(slates, world), 21)
    t_user = median_time(per_user, 3)
    t_loop = median_time(lambda: loop_expected_play(slates, world), 5)
    print(f"closed-form play of {world.n_users} slates (validation included): vectorized {t_vec * 1e3:.2f} ms | "
          f"per-user calls {t_user * 1e3:.0f} ms, ratio {t_user / t_vec:.0f}x | scalar Python loop "
          f"{t_loop * 1e3:.1f} ms, ratio {t_loop / t_vec:.0f}x (target >= 100x) | max |diff| {diff:.1e}")
