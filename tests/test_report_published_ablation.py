"Papermill smoke run of nbs/reports/published_ablation.ipynb with tiny parameters: every figure and table is written."
import json

import pandas as pd

TABLES = ["published_ablation_released_deltas.csv", "published_ablation_runs.csv", "published_ablation_means.csv",
          "published_ablation_deltas.csv", "published_ablation_vs_released.csv", "published_ablation_collapses.csv",
          "published_ablation_groups.csv", "published_ablation_headline.csv"]


def test_published_ablation_smoke(run_report, tmp_path):
    out, img = run_report("published_ablation", n_seeds=2, n_users=150, n_items=30, n_jobs=1, scan_demo_worlds=False,
                          run_kwargs={"qlearning": {"n_iter": 2}}, cache_dir=str(tmp_path / "cache"))
    assert (out / "figures" / "published_ablation.png").read_bytes()[:4] == b"\x89PNG"
    assert (img / "published_ablation.png").exists()
    for f in TABLES: assert (out / "tables" / f).stat().st_size > 0, f
    runs = pd.read_csv(out / "tables" / "published_ablation_runs.csv")
    assert len(runs) == 1 * 2 * 2 * 6  # budget x seeds x gammas x protocols
    assert (runs.fair_expected_play <= runs.oracle_play_fresh + 1e-9).all()
    cells = json.loads((out / "published_ablation.ipynb").read_text())["cells"]
    text = "".join("".join(o.get("data", {}).get("text/markdown", "")) for c in cells for o in c.get("outputs", []))
    assert "Headline (for the README)" in text and "not the notebook's size" in text
