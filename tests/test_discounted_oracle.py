"The exact γ-discounted oracle against brute force over every ordered slate, on many tiny worlds and both models."
import itertools

import numpy as np
import pytest

from value_model_tuning.budget.oracle import (brute_force_discounted, discounted_oracle, discounted_return,
                                              knapsack_oracle)
from value_model_tuning.budget.slates import SimConfig, World, expected_play, sample_world


def tiny_world(rng: np.random.Generator, choice: str) -> World:
    "A random tiny world: N = 3..6 items, K = 1..3 slots, 6 users with budgets around 100"
    n, K = int(rng.integers(3, 7)), int(rng.integers(1, 4))
    return World(relevance=rng.normal(2.0 if choice == "mnl" else 4.0, 2, n), cost=rng.uniform(0, 100, n),
                 budgets=np.exp(rng.normal(np.log(100), 0.7, 6)), slate_size=K, choice=choice)


@pytest.mark.parametrize("choice", ["mnl", "cascade"])
@pytest.mark.parametrize("fill", [False, True])
def test_matches_brute_force(choice, fill):
    rng = np.random.default_rng(7 + 2 * fill + (choice == "cascade"))
    for _ in range(12):
        w = tiny_world(rng, choice)
        for g in (0.0, 0.3, 0.8, 1.0):
            res, (best, _) = discounted_oracle(w, g, delta=0.01, fill=fill), brute_force_discounted(w, g, fill=fill)
            np.testing.assert_allclose(res.ret, best, rtol=0, atol=1e-12)
            np.testing.assert_allclose(discounted_return(res.slates, w, g), res.ret, rtol=0, atol=1e-15)
            assert (best <= res.ret_upper + 1e-12).all() and (res.gap >= 0).all()


def test_descending_relevance_is_the_best_order():
    rng = np.random.default_rng(3)
    for choice, g in itertools.product(("mnl", "cascade"), (0.0, 0.5, 0.8)):
        w = World(relevance=rng.normal(0, 2, 5), cost=rng.uniform(0, 10, 5), budgets=[1000.0], slate_size=5,
                  choice=choice)
        perms = np.array(list(itertools.permutations(range(5))))
        rets = discounted_return(perms, w.with_budgets(np.repeat(w.budgets, len(perms))), g)
        assert rets.max() <= discounted_return(np.argsort(-w.relevance)[None], w, g)[0] + 1e-12


def test_gamma_one_is_the_play_oracle_and_discounting_costs_play():
    w = sample_world(SimConfig(n_users=200, n_items=60), 100, seed=1)
    play = knapsack_oracle(w, delta=None).play
    np.testing.assert_allclose(discounted_oracle(w, 1.0).play, play, rtol=0, atol=1e-12)
    d8 = discounted_oracle(w, 0.8)
    assert (d8.play <= play + 1e-12).all()  # nobody beats the play oracle's play
    assert d8.ret.mean() >= discounted_return(knapsack_oracle(w, delta=None).slates, w, 0.8).mean()
    np.testing.assert_allclose(d8.play, expected_play(d8.slates, w))


def test_bad_input_raises():
    w = sample_world(SimConfig(n_users=20, n_items=20), 100, seed=0)
    with pytest.raises(TypeError, match="world must be a World"): discounted_oracle(w.budgets, 0.8)
    with pytest.raises(ValueError, match="gamma"): discounted_oracle(w, 1.5)
    with pytest.raises(ValueError, match="delta"): discounted_oracle(w, 0.8, delta=-1.0)
    with pytest.raises(TypeError, match="fill"): discounted_oracle(w, 0.8, fill=1)
    with pytest.raises(ValueError, match="max_rows"): brute_force_discounted(w, 0.8)
