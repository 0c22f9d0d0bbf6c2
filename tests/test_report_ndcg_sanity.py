"Papermill smoke run of nbs/reports/ndcg_sanity.ipynb with tiny parameters."
import pandas as pd


def test_ndcg_sanity_report(run_report):
    out_dir, _ = run_report("ndcg_sanity", n_requests=40, n_items=20, n_batches=3, n_per_request=10,
                            ks=[1, 5], noise_levels=[0.0, 1.0], seed=1, n_shuffles=2)
    assert (out_dir / "figures" / "ndcg_sanity.png").stat().st_size > 0
    agreement = pd.read_csv(out_dir / "tables" / "ndcg_sanity_agreement.csv")
    assert len(agreement) == 3 and set(agreement.k.astype(str)) == {"1", "5", "all"}
    assert (agreement[["abs_diff_of_means", "max_abs_diff_per_request"]] < 1e-12).all(axis=None)
    noise = pd.read_csv(out_dir / "tables" / "ndcg_sanity_noise.csv")
    assert len(noise) == 2 * 2 * 3  # metrics x noise levels x cutoffs
    assert noise["mean"].between(0, 1).all()
    assert (noise[noise.sigma == 0]["mean"] - 1).abs().max() < 1e-12
    ties = pd.read_csv(out_dir / "tables" / "ndcg_sanity_ties.csv")
    assert len(ties) == 3 and (ties[["abs_diff_of_means", "max_abs_diff_per_request"]] <= 1e-10).all(axis=None)
    assert (ties.max_move_under_shuffles <= 1e-12).all()
