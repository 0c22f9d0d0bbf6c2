"Smoke run of nbs/reports/slsqp_diagnosis.ipynb with tiny parameters: it executes (its asserted claims hold) and writes its figures and tables."
import pandas as pd


def test_slsqp_diagnosis_report(run_report):
    out, _ = run_report("slsqp_diagnosis", n_random_weights=60, n_steps=8, n_restarts=1, n_datasets=2,
                        solver_budget=100, n_perturbed=3, perturbation_sizes=[0.0, 1e-12], n_jobs=1)
    for f in ("seed_objective", "cell_distances", "step_change_probability", "metric_scatter", "solver_errors",
              "start_sensitivity"):
        assert (out / "figures" / f"slsqp_{f}.png").stat().st_size > 1000, f
    for t in ("seed_objective_summary", "seed_slsqp_run", "printed_fractions", "cell_distances", "step_change_probability",
              "gradient_probe", "regret_slsqp_run", "metric_comparison", "inverse_identity", "on_target_weights",
              "near_solutions", "solver_runs", "solver_summary", "start_sensitivity", "start_sensitivity_runs", "headline"):
        assert (out / "tables" / f"slsqp_{t}.csv").stat().st_size > 0, t
    s = pd.read_csv(out / "tables" / "slsqp_start_sensitivity.csv")
    assert set(s.solver) == {"slsqp (fixed)", "controller", "de", "slsqp (safety net)"} and set(s["size"]) == {0.0, 1e-12}
    assert (s.n_starts == 3).all() and (s.n_met <= s.n_starts).all()
    assert (s[s["size"] == 0].distinct_answers == 1).all()  # same start, same machine: the same answer
