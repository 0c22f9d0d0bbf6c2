"""Invariants of the RL agents on tiny worlds: bounded targets, valid slates, the oracle bound per user,
closed form against Monte Carlo, pruning against brute force, and loose statistical bars over seeds."""
import numpy as np
import pytest

from value_model_tuning.budget.agents import (REWARDS, StopRule, candidate_items, expected_return, qlearning_targets,
                                              run_bandit, run_qlearning, run_sarsa, sarsa_targets, slate_features,
                                              slot_hazards)
from value_model_tuning.budget.oracle import knapsack_oracle, random_slates
from value_model_tuning.budget.slates import SimConfig, check_slates, expected_play, sample_world, simulate

TINY = SimConfig(n_items=30, slate_size=5, n_users=400)


class Wild:
    "A 'model' returning arbitrary values: targets must stay bounded whatever it says"
    item_monotone = True
    def __init__(self, seed): self.rng = np.random.default_rng(seed)
    def fit(self, X, y): return self
    def predict(self, X): return self.rng.uniform(-5, 5, len(X))


@pytest.mark.parametrize("seed", range(6))
def test_targets_in_unit_interval(seed):
    w = sample_world(TINY, 50 + 40 * seed, seed=200 + seed)
    s = random_slates(w, np.random.default_rng(seed))
    h, alive, _ = slot_hazards(s, w, np.random.default_rng(seed), reward=REWARDS[seed % 3])
    for y in (sarsa_targets(Wild(seed), slate_features(s, w), h, 1.0, alive=alive),
              qlearning_targets(Wild(seed), s, w, h, 1.0, alive=alive),
              qlearning_targets(Wild(seed), s, w, h, 0.9, Wild(seed + 7), remedy="clipped", alive=alive),
              qlearning_targets(Wild(seed), s, w, h, 0.9, Wild(seed + 7), remedy="double", alive=alive)):
        assert y.shape == s.shape and (y >= 0).all() and (y <= 1).all()


def test_pruned_front_equals_brute_force():
    rng = np.random.default_rng(0)
    for seed in range(5):
        w = sample_world(SimConfig(n_items=25, slate_size=6, n_users=60), 80, seed=210 + seed)
        placed = np.zeros((w.n_users, w.n_items), bool)
        placed[np.arange(w.n_users)[:, None], rng.random(placed.shape).argsort(1)[:, :4]] = True
        beta = rng.uniform(0, 120, w.n_users)
        u, i = candidate_items(w, placed, budget_to_go=beta)
        fits = ~placed & (w.cost < beta[:, None])
        dom = ((w.relevance[None, :, None] > w.relevance[None, None, :]) & (w.cost[None, :, None] < w.cost[None, None, :])
               & fits[:, :, None]).any(axis=1)
        ref = np.nonzero(fits & ~dom)
        assert sorted(zip(u.tolist(), i.tolist())) == sorted(zip(*(a.tolist() for a in ref)))


@pytest.fixture(scope="module")
def trained():
    "Agents on three tiny worlds (seeds no report uses), with fresh users"
    out = []
    for seed in (220, 221, 222):
        train, fresh = sample_world(TINY, 80, seed), sample_world(TINY, 80, seed, user_stream=1)
        runs = {"bandit": run_bandit(train, seed=seed), "sarsa": run_sarsa(train, 0.8, seed=seed),
                "qlearning": run_qlearning(train, 0.8, seed=seed), "sarsa1": run_sarsa(train, 1.0, seed=seed)}
        out.append((train, fresh, runs))
    return out


def test_slates_valid_and_below_the_oracle_per_user(trained):
    for _, fresh, runs in trained:
        upper = knapsack_oracle(fresh, delta=0.01).play_upper
        for res in runs.values():
            s = check_slates(res.policy(fresh), fresh)  # raises on a repeated or out-of-range item
            assert (expected_play(s, fresh) <= upper + 1e-9).all()


def test_greedy_beats_random_and_closed_form_matches_monte_carlo(trained):
    for _, fresh, runs in trained:
        rand = expected_play(random_slates(fresh, np.random.default_rng(0)), fresh).mean()
        for res in runs.values():
            s = res.policy(fresh)
            closed = expected_play(s, fresh).mean()
            assert closed > rand + 0.2  # random slates play far less at a tight budget
            mc = np.mean([simulate(s, fresh, np.random.default_rng(i)).play_rate for i in range(20)])
            assert abs(mc - closed) < 4 * np.sqrt(0.25 / (20 * fresh.n_users))  # 4 sd of the Monte Carlo mean


def test_values_bounded_and_roughly_calibrated(trained):
    maes = []
    for _, fresh, runs in trained:
        for res in runs.values():
            p = res.predicted_returns(fresh)
            assert p.shape == (fresh.n_users,) and (p >= 0).all() and (p <= 1).all()
            maes.append(res.calibration(fresh)["mae"])
    assert np.mean(maes) < 0.1, maes  # loose: tiny worlds, a few hundred users; the report measures 0.03 at full size


def test_stop_rule_flag_and_expected_return(trained):
    for train, fresh, runs in trained:
        for res in runs.values():
            h = res.train_history
            fired = StopRule()(h.expected_play.tolist(), h.value.tolist())
            assert res.converged == fired and 1 <= res.iterations <= StopRule().max_iter
            s = res.policy(fresh)
            assert np.allclose(expected_return(s, fresh, 1.0), expected_play(s, fresh))
            assert (expected_return(s, fresh, 0.8) <= expected_play(s, fresh) + 1e-12).all()


def test_seed_determines_the_run():
    w = sample_world(TINY, 100, seed=230)
    a, b = run_qlearning(w, 0.8, rounds=3, seed=1), run_qlearning(w, 0.8, rounds=3, seed=1)
    assert (a.policy(w) == b.policy(w)).all()
    assert a.train_history.drop(columns="seconds").equals(b.train_history.drop(columns="seconds"))
    c = run_qlearning(w, 0.8, rounds=3, seed=2)
    assert not a.train_history.expected_play.equals(c.train_history.expected_play)


@pytest.mark.parametrize("run", [run_sarsa, run_qlearning])
def test_returned_model_is_the_best_greedy_one(run):
    "keep_best: the policy is the history row with the largest greedy play on the selection users; off: the last"
    from value_model_tuning.budget.agents import SELECTION_USERS
    w = sample_world(SimConfig(n_items=30, slate_size=5, n_users=SELECTION_USERS + 200), 100, seed=240)
    head = w.with_budgets(w.budgets[:SELECTION_USERS])
    kw = {"iterations" if run is run_sarsa else "rounds": 5}
    best = run(w, 0.8, seed=3, **kw)
    h = best.train_history
    assert best.reward == "marginal" and h.greedy_play.notna().all() and len(h) == 5
    assert best.selected == int(h.greedy_play.to_numpy().argmax())
    assert np.isclose(expected_play(best.policy(head), head).mean(), h.greedy_play.max(), atol=1e-12)
    assert best.train == {k: float(h.iloc[best.selected][k]) for k in ("expected_play", "ess", "play_rate")}
    last = run(w, 0.8, seed=3, keep_best=False, **kw)
    assert last.selected == -1 and last.train_history.greedy_play.isna().all()
    assert last.train_history.drop(columns=["seconds", "greedy_play"]).equals(h.drop(columns=["seconds", "greedy_play"]))
