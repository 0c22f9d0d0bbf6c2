"Smoke run of nbs/reports/regret.ipynb with tiny parameters: it executes and writes its figures and tables."
import pandas as pd


def test_regret_report(run_report):
    out, img = run_report("regret", seed_iterations=400, record_every=20, n_pareto=3, n_jobs=1, n_show=5, n_de_seeds=2)
    for f in ("per_task_rankings", "seed_rule_weights", "pareto_front"):
        assert (out / "figures" / f"{f}.png").stat().st_size > 1000, f
    for f in ("per_task_rankings", "pareto_front"):
        assert (img / f"{f}.png").exists(), f
    for t in ("uniform", "seed_rule_history", "seed_rule_checkpoints", "minimizer_comparison", "minimizer_seeds",
              "pareto_front", "guardrail"):
        assert (out / "tables" / f"regret_{t}.csv").stat().st_size > 0, t
    assert len(pd.read_csv(out / "tables" / "regret_minimizer_seeds.csv")) == 2
