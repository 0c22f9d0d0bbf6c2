"Papermill smoke run of nbs/reports/budget_rl.ipynb with tiny parameters: every figure and table is written."
import json

import pandas as pd

FIGURES = ["play_vs_gamma.png", "ess_vs_gamma.png", "rl_vs_bandit_delta.png", "qlearning_vs_sarsa.png",
           "fraction_of_oracle.png", "rl_calibration.png", "rl_vs_bandit_flat_relevance.png"]
TABLES = ["budget_rl_grid.csv", "budget_rl_grid_flat.csv", "rl_training.csv", "rl_vs_bandit_deltas.csv",
          "qlearning_vs_sarsa.csv", "fraction_of_oracle.csv", "rl_quality_bar.csv", "rl_quality_misses.csv",
          "rl_calibration.csv", "rl_vs_bandit_by_sigma.csv", "published_vs_ours_qlearning.csv",
          "published_vs_ours_sarsa.csv", "rl_spec_reward_optimum.csv"]


def test_budget_rl_smoke(run_report, tmp_path):
    budgets, gammas, n_seeds = [100, 300], [0.0, 0.8], 2
    out, img = run_report("budget_rl", budgets=budgets, gammas=gammas, n_seeds=n_seeds, flat_seeds=2, n_users=200,
                          n_items=40, n_jobs=1, cache_dir=str(tmp_path / "cache"),
                          agent_kwargs={"sarsa": {"iterations": 2}, "qlearning": {"rounds": 2}})
    for f in FIGURES: assert (out / "figures" / f).read_bytes()[:4] == b"\x89PNG", f
    for f in ("rl_vs_bandit_delta.png", "fraction_of_oracle.png"): assert (img / f).exists(), f
    for f in TABLES: assert (out / "tables" / f).stat().st_size > 0, f
    grid = pd.read_csv(out / "tables" / "budget_rl_grid.csv")
    # 2 RL agents x 2 gammas + 4 baselines + the oracle, at every (budget, seed)
    assert len(grid) == len(budgets) * n_seeds * (2 * len(gammas) + 4 + 1)
    assert (grid.expected_play <= grid.oracle_play_upper + 1e-9).all()
    agents = grid[grid.algorithm.isin(["sarsa", "qlearning"])]
    assert (agents.iterations == 2).all()  # the fixed counts reached the agents
    assert agents.predicted_return.between(0, 1).all() and agents.value_mae.ge(0).all()
    bar = pd.read_csv(out / "tables" / "rl_quality_bar.csv")
    assert set(bar.agent) == {"sarsa γ=0.8", "qlearning γ=0.8"} and len(bar) == 2 * len(budgets)
    misses = pd.read_csv(out / "tables" / "rl_quality_misses.csv")
    assert {"fraction", "bandit_fraction", "myopic_fraction", "models", "selected"} <= set(misses.columns)
    assert (misses.fraction < 0.99).all() and (misses.selected < misses.models).all()
    # the spec reward's exact γ = 0.8 optimum never beats the play oracle, and its certified bound sits above it
    opt = pd.read_csv(out / "tables" / "rl_spec_reward_optimum.csv")
    assert len(opt) == n_seeds and opt.optimum_play_fraction.between(0, 1 + 1e-9).all()
    assert (opt.optimum_play_fraction <= opt.optimum_play_upper + 1e-12).all() and (opt.optimum_play_upper <= 1 + 1e-9).all()
    assert agents.selected.between(0, 1).all()  # the returned model is one of the two fitted
    cells = json.loads((out / "budget_rl.ipynb").read_text())["cells"]
    text = "".join("".join(o.get("data", {}).get("text/markdown", "")) for c in cells for o in c.get("outputs", []))
    # the released Q-learning table is overlaid and compared (play/ESS vs γ, RL vs bandit deltas)
    for phrase in ("Fraction of the oracle", "Paired gain", "Quality bar", "mean per-user value error", "Timings",
                   "Our Q-learning minus the released Q-learning", "Released Q-learning at b = 100 (100 seeds)",
                   "Panels on a symlog axis"):
        assert phrase in text, phrase
    assert "optimum of the spec's slot-of-play reward plays" in text
