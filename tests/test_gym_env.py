"""Gymnasium environment: action masks, the invalid-action rule, random play at scale, Gymnasium's checker."""
import warnings

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")
from gymnasium.utils.env_checker import check_env

from value_model_tuning.budget.gym_env import ENV_ID, SlateEnv
from value_model_tuning.budget.slates import SimConfig, World, expected_play, sample_world

EPISODES = 500


def play(env: SlateEnv, episodes: int, seed: int, masked: bool):
    "Uniformly random episodes; yields (reset info, list of (action, mask before, obs before, step result))"
    env.action_space.seed(seed)
    env.reset(seed=seed)
    for _ in range(episodes):
        obs, info = env.reset()
        steps, done = [], False
        while not done:
            mask = env.action_masks()
            action = env.action_space.sample(mask=mask.astype(np.int8) if masked else None)
            result = env.step(action)
            steps.append((int(action), mask, obs, result))
            obs, done = result[0], result[2] or result[3]
        yield info, steps


@pytest.mark.parametrize("choice", ["mnl", "cascade"])
def test_masked_random_play_never_crashes_and_matches_closed_form(choice):
    world = sample_world(SimConfig(choice=choice), 150, seed=3)
    env = SlateEnv(world)
    users, slates, returns = [], [], []
    for info, steps in play(env, EPISODES, seed=11, masked=True):
        assert len(steps) == world.slate_size
        for action, mask, _, (_, _, term, trunc, step_info) in steps:
            assert mask.dtype == bool and mask.shape == (world.n_items,) and mask[action]
            assert not step_info["invalid_action"] and not trunc
        final = steps[-1][3]
        assert final[2]  # terminated
        slate = final[4]["slate"]
        assert len(set(slate.tolist())) == world.slate_size
        users.append(info["user"]); slates.append(slate); returns.append(sum(s[3][1] for s in steps))
    assert set(returns) <= {0.0, 1.0}
    p = expected_play(np.array(slates), world.with_budgets(world.budgets[users]))
    z = (np.mean(returns) - p.mean()) / (np.sqrt((p * (1 - p)).sum()) / EPISODES)
    assert abs(z) < 4, z


def test_unmasked_random_play_follows_the_no_op_rule():
    world = sample_world(SimConfig(), 150, seed=3)
    env = SlateEnv(world)
    wasted = []
    for _, steps in play(env, EPISODES, seed=12, masked=False):
        placed = set()
        for action, mask, obs_before, (obs, reward, term, trunc, info) in steps:
            assert info["invalid_action"] == (action in placed) == (not mask[action])
            if info["invalid_action"]:
                assert reward == 0.0 and not info["examined"]
                for key in obs: np.testing.assert_array_equal(obs[key], obs_before[key])
            placed.add(action)
        wasted.append(sum(s[3][4]["invalid_action"] for s in steps))
        _, _, term, trunc, info = steps[-1][3]
        assert term != trunc
        if term: assert len(info["slate"]) == world.slate_size
        else: assert len(steps) == env.max_steps and (info["slate"] == -1).any()
    wasted = np.array(wasted)
    expect = sum(k / (world.n_items - k) for k in range(world.slate_size))
    assert wasted.sum() > 0  # the rule was exercised
    assert abs(wasted.mean() - expect) < 4 * wasted.std() / np.sqrt(EPISODES)


def test_truncation_when_repeats_exhaust_the_step_limit():
    world = sample_world(SimConfig(n_items=6, slate_size=5, n_users=50), 150, seed=0)
    env = SlateEnv(world, max_steps=7)
    ends = {"terminated": 0, "truncated": 0}
    for _, steps in play(env, 300, seed=5, masked=False):
        _, reward, term, trunc, info = steps[-1][3]
        if trunc:
            ends["truncated"] += 1
            assert len(steps) == 7 and (info["slate"] == -1).any() and info["slate"].shape == (world.slate_size,)
            assert info["played_slot"] == -1 and reward == 0.0  # MNL: no draw on a cut slate
        else:
            ends["terminated"] += 1
    assert min(ends.values()) > 0, ends
    with pytest.raises(RuntimeError, match="episode is over"):
        env.step(0)


def test_invalid_action_consumes_no_random_draws():
    world = sample_world(SimConfig(choice="cascade"), 150, seed=1)
    env = SlateEnv(world)
    env.reset(seed=0)
    env.step(0)
    state = env.np_random.bit_generator.state
    assert env.step(0)[4]["invalid_action"]
    assert env.np_random.bit_generator.state == state


def test_bad_actions_and_options_raise():
    tiny = World(relevance=[0.0, 1.0, 2.0], cost=[1.0, 1.0, 1.0], budgets=[5.0], slate_size=2)
    env = SlateEnv(tiny)
    with pytest.raises(RuntimeError, match="reset"): env.action_masks()
    with pytest.raises(RuntimeError, match="reset"): env.step(0)
    env.reset(seed=0)
    for bad in (-1, 3):  # integers outside [0, N): a bad value
        with pytest.raises(ValueError, match=r"action must be an item index in \[0, 3\)"):
            env.step(bad)
    for bad in (1.0, True, "1", None, np.array(1)):  # not an integer: a wrong type
        with pytest.raises(TypeError, match="action must be an int; got"):
            env.step(bad)
    with pytest.raises(TypeError, match="max_steps must be an int or None; got float 3.0"):
        SlateEnv(tiny, max_steps=3.0)
    with pytest.raises(ValueError, match="max_steps must be >= the slate size"):
        SlateEnv(tiny, max_steps=1)
    with pytest.raises(TypeError, match="world must be a World; got ndarray"):
        SlateEnv(np.zeros(3))
    with pytest.raises(ValueError, match=r"options\['user'\] must be an int in \[0, 0\]; got 1"):
        env.reset(options={"user": 1})
    with pytest.raises(TypeError, match="positional"):
        SlateEnv(tiny, SimConfig())  # the options after the world are keyword-only
    assert env.step(np.int64(1))[4]["invalid_action"] is False  # numpy integers (what Gymnasium samples) are fine


def test_gymnasium_checker_and_registered_env():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gym.make(ENV_ID, render_mode="ansi").unwrapped)
        check_env(SlateEnv(sample_world(SimConfig(n_items=20, n_users=30, choice="cascade"), 100, seed=2)),
                  skip_render_check=True)
    env = gym.make(ENV_ID, max_steps=15)
    env.reset(seed=0)
    env.step(7)
    mask = env.get_wrapper_attr("action_masks")()
    assert np.flatnonzero(~mask).tolist() == [7]
    assert env.unwrapped.max_steps == 15


def test_vector_env_with_autoreset_runs_unmasked_random_actions():
    envs = gym.vector.SyncVectorEnv([lambda: SlateEnv(sample_world(SimConfig(n_items=12, n_users=20), 150, seed=0))
                                     for _ in range(4)])
    envs.reset(seed=0)
    envs.action_space.seed(0)
    ended = 0
    for _ in range(200):
        _, _, term, trunc, _ = envs.step(envs.action_space.sample())
        ended += int((term | trunc).sum())
    assert ended > 0
    envs.close()


def test_reset_seed_reproduces_masks_and_rewards():
    world = sample_world(SimConfig(choice="cascade"), 150, seed=4)
    runs = []
    for _ in range(2):
        env = SlateEnv(world)
        runs.append([(info["user"], [s[3][1] for s in steps], [s[1].sum() for s in steps])
                     for info, steps in play(env, 20, seed=8, masked=True)])
    assert runs[0] == runs[1]
