"Behaviour of value_model_tuning.budget.notebook: switches, legacy draws, the seed-45 collapse, thread robustness."
import json, multiprocessing, os, subprocess, sys

import numpy as np
import pandas as pd
import pytest

from value_model_tuning.budget.notebook import (SWITCHES, NotebookProtocol, NotebookReproductionWarning, OneTreeBooster,
                                                ablations, first_uniform, legacy_random_slates, reseeded_pick,
                                                run_ablation_grid, run_notebook_qlearning)
from value_model_tuning.budget.slates import SimConfig, effective_slate_size, sample_world


def test_unknown_switch_is_a_type_error_listing_the_valid_ones():
    with pytest.raises(TypeError, match=r"\['foo'\].*valid switches: \['reseeded_exploration', 'cumrel_bug'"):
        NotebookProtocol(foo=True)
    with pytest.raises(TypeError, match="cumrel_bugg"):
        NotebookProtocol().with_switches(cumrel_bugg=False)
    assert NotebookProtocol().as_dict() == dict.fromkeys(SWITCHES, True)
    assert NotebookProtocol.corrected().off == SWITCHES


def test_notebook_world_is_the_legacy_sequence():
    cfg = SimConfig()
    legacy = np.random.RandomState(17)  # budgets (U normals), relevance (N normals), costs (N uniforms), in order
    z = legacy.standard_normal(cfg.n_users + cfg.n_items)
    u = legacy.random_sample(cfg.n_items)
    for b in (100, 500):
        w = sample_world(cfg, b, 17, draws="notebook")
        np.testing.assert_array_equal(w.relevance, 2.0 * z[cfg.n_users:])
        np.testing.assert_array_equal(w.cost, 100.0 * u)
        np.testing.assert_allclose(w.budgets, b * np.exp(0.5 * z[:cfg.n_users]), rtol=1e-13)


def test_behaviour_slates_reproduce_the_notebooks_printed_ess():
    # the notebook's Q-learning demo printed a behaviour-policy ESS of 7.851: b=500, seed 6 (counts, not floats)
    cfg = SimConfig()
    w = sample_world(cfg, 500, 6, draws="notebook")
    s = legacy_random_slates(cfg.n_users, cfg.n_items, cfg.slate_size, np.random.RandomState(6))
    assert int(effective_slate_size(s, w).sum()) == 15702


def test_reseeded_pick_is_the_legacy_choice_after_reseeding():
    rng = np.random.default_rng(3)
    q = rng.integers(0, 4, (200, 30)).astype(np.float32)
    placed = rng.random((200, 30)) < 0.2
    q[placed] = -np.inf
    for seed in (45, 7, 1):  # fixed-pick group (0.989, 0.076) and greedy group (0.417)
        picks = reseeded_pick(q, placed, 0.1, first_uniform(seed))
        for row in range(0, 200, 7):
            best = int(np.argmax(q[row]))
            p = np.where(placed[row], 0.0, 0.1 / (30 - placed[row].sum()))
            p[best] += 0.9
            assert picks[row] == np.random.RandomState(seed).choice(30, size=1, p=p)[0]


def test_seed_45_collapses_only_with_the_reseeded_exploration():
    w = sample_world(SimConfig(), 100, 45, draws="notebook")
    published = run_notebook_qlearning(w, 0.0, 45)
    fixed = run_notebook_qlearning(w, 0.0, 45, NotebookProtocol(reseeded_exploration=False))
    assert published.play_rate < 0.1 and fixed.play_rate > 0.5


def test_warns_when_the_world_is_not_the_notebooks():
    small = SimConfig(n_users=100, n_items=30)
    with pytest.warns(NotebookReproductionWarning, match="draws='notebook'"):
        run_notebook_qlearning(sample_world(small, 100, 0), 0.0, 0, n_iter=1)


_CHILD = r"""
import json, sys
from value_model_tuning.budget.notebook import NotebookProtocol, run_notebook_qlearning
from value_model_tuning.budget.slates import SimConfig, sample_world
threads = int(sys.argv[1])
out = {}
for seed, gamma in ((45, 0.0), (0, 0.8)):
    w = sample_world(SimConfig(), 100, seed, draws="notebook")
    fresh = sample_world(SimConfig(), 100, seed, user_stream=1, draws="notebook")
    r = run_notebook_qlearning(w, gamma, seed, fresh=fresh, n_threads=threads)
    out[f"{seed}_{gamma}"] = [r.play_rate, r.fair["expected_play"]]
print(json.dumps(out))
"""


def test_claims_hold_with_one_and_two_threads():
    "OpenMP 1 vs 2 threads (xgboost's and the environment's): the collapse holds and the other numbers barely move"
    res = {}
    for t in (1, 2):
        env = {**os.environ, "OMP_NUM_THREADS": str(t), "OPENBLAS_NUM_THREADS": str(t)}
        cp = subprocess.run([sys.executable, "-c", _CHILD, str(t)], env=env, capture_output=True, text=True, check=True)
        res[t] = json.loads(cp.stdout.strip().splitlines()[-1])
    for t in (1, 2):
        assert res[t]["45_0.0"][0] < 0.1 and res[t]["45_0.0"][1] > 0.5  # collapsed as published, fine when fair
    spread = max(abs(a - b) for k in res[1] for a, b in zip(res[1][k], res[2][k]))
    print(f"largest play difference, 1 vs 2 threads: {spread:.2e}")
    assert spread < 0.05


def test_grid_on_loky_processes_matches_one_process_and_stops_its_workers():
    "The loky pool the grid starts is shut down when it returns (no idle workers for 300 s), and the rows are the same"
    kw = dict(config=SimConfig(n_users=60, n_items=20), progress=False, run_kwargs={"qlearning": {"n_iter": 1}})
    before = set(multiprocessing.active_children())
    two = run_ablation_grid([100], [0.0, 0.8], 2, n_jobs=2, **kw)
    assert not set(multiprocessing.active_children()) - before, "loky workers left running"
    one = run_ablation_grid([100], [0.0, 0.8], 2, n_jobs=1, **kw)
    assert len(one) == 2 * 2 * len(ablations())
    pd.testing.assert_frame_equal(two.drop(columns="seconds"), one.drop(columns="seconds"))


def test_renamed_threads_parameter_warns_and_still_works():
    w = sample_world(SimConfig(n_users=100, n_items=30), 100, 0, draws="notebook")
    with pytest.warns(DeprecationWarning, match="threads= is deprecated.*use n_threads="):
        old = run_notebook_qlearning(w, 0.8, 0, n_iter=2, threads=1)
    new = run_notebook_qlearning(w, 0.8, 0, n_iter=2, n_threads=1)
    assert (old.play_rate, old.ess) == (new.play_rate, new.ess)
    with pytest.warns(DeprecationWarning):
        assert OneTreeBooster(threads=2).n_threads == 2
    with pytest.raises(TypeError, match="not both"):
        run_notebook_qlearning(w, 0.8, 0, n_iter=2, threads=1, n_threads=2)


def test_wrong_types_are_type_errors_bad_values_value_errors():
    w = sample_world(SimConfig(n_users=100, n_items=30), 100, 0, draws="notebook")
    with pytest.raises(TypeError, match="seed must be an int in \\[0, 4294967295\\]; got float 0.0"):
        run_notebook_qlearning(w, 0.8, 0.0)
    with pytest.raises(TypeError, match="gamma must be a float in \\[0, 1\\]; got str"):
        run_notebook_qlearning(w, "0.8", 0)
    with pytest.raises(ValueError, match="gamma must be a float in \\[0, 1\\]; got 1.5"):
        run_notebook_qlearning(w, 1.5, 0)
    with pytest.raises(TypeError, match="world must be a World"):
        run_notebook_qlearning(w.budgets, 0.8, 0)
    with pytest.raises(TypeError, match="backend must be one of 'loky', 'dask'; got int 1"):
        run_ablation_grid([100], [0.8], 1, backend=1)
    with pytest.raises(ValueError, match="seeds must be a count"):
        run_ablation_grid([100], [0.8], 0)
