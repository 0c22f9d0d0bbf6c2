"Papermill smoke run of nbs/reports/budget_world.ipynb with tiny parameters."
import pandas as pd


def test_budget_world_report(run_report):
    out_dir, images_dir = run_report("budget_world", n_seeds=2, n_users=150, budget_locs=[100, 300], n_jobs=1)
    figs = {p.name for p in (out_dir / "figures").glob("*.png")}
    assert {"budget_world_distributions.png", "budget_world_policies.png", "budget_world_flat_relevance.png"} <= figs
    assert (images_dir / "budget_world_policies.png").exists()
    df = pd.read_csv(out_dir / "tables" / "budget_world_policies.csv")
    assert set(df.policy) == {"oracle", "myopic", "density_greedy", "top_k", "random"}
    assert len(df) == 2 * 2 * 5 and (df.n_above_oracle == 0).all()
    assert (df[df.policy == "oracle"].frac_oracle == 1).all()
    summary = pd.read_csv(out_dir / "tables" / "budget_world_summary.csv", header=[0, 1], index_col=0)
    assert summary.shape == (5, 3 * 2)
