"Smoke run of nbs/reports/slsqp_diagnosis.ipynb with tiny parameters: it executes (its asserted claims hold) and writes its figures and tables."


def test_slsqp_diagnosis_report(run_report):
    out, _ = run_report("slsqp_diagnosis", n_random_weights=60, n_steps=8, n_restarts=1, n_datasets=2,
                        solver_budget=100, n_jobs=1)
    for f in ("seed_objective", "cell_distances", "step_change_probability", "metric_scatter", "solver_errors"):
        assert (out / "figures" / f"slsqp_{f}.png").stat().st_size > 1000, f
    for t in ("seed_objective_summary", "seed_slsqp_run", "printed_fractions", "cell_distances", "step_change_probability",
              "gradient_probe", "regret_slsqp_run", "metric_comparison", "inverse_identity", "on_target_weights",
              "near_solutions", "solver_runs", "solver_summary", "headline"):
        assert (out / "tables" / f"slsqp_{t}.csv").stat().st_size > 0, t
