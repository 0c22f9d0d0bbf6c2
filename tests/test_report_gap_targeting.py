"Smoke run of nbs/reports/gap_targeting.ipynb with tiny parameters: it executes and writes its figures, tables and tuned JSON."
import json


def test_gap_targeting_report(run_report):
    out, img = run_report("gap_targeting", n_requests=12, n_items=20, topk_list=[None, 5], n_show=6)
    for f in ("gap_targeting", "gap_targeting_trace", "gap_targeting_intervals", "gap_targeting_sensitivity",
              "gap_targeting_topk"):
        assert (out / "figures" / f"{f}.png").stat().st_size > 1000, f
    assert (img / "gap_targeting.png").exists()
    for t in ("before", "before_after", "intervals", "holdout", "topk", "robustness", "quantized"):
        assert (out / "tables" / f"gap_targeting_{t}.csv").stat().st_size > 0, t
    tuned = json.loads((out / "gap_targeting_tuned_vm.json").read_text())
    assert set(tuned["weights"]) == {"p_watch_3s", "p_watch_30s", "p_watch_and_share", "p_watch_and_like", "p_watch_and_follow"}
    assert abs(sum(tuned["weights"].values()) - 27.4) < 1e-6  # kept at the input model's total
