"""Part A at production scale (issue 12): sampled reading, bootstrap intervals, hold-out checks, the pattern search,
and the distributed evaluation — each checked against an independent reference or a statistic over many draws.

- Coverage: a synthetic population of 100,000 requests whose fractions and regrets are known exactly (computed on
  all of them); 800 subsamples of 300 requests; the empirical coverage of each 95% interval must fall inside the
  99.9% binomial band around 0.95 for 800 trials ([0.925, 0.975]).
- Memory: sampling from a 4x larger Parquet file must not cost more memory (peak RSS in fresh processes), while
  reading the file whole does.
- Dask: the installed `vmt evaluate --dask-scheduler` against a TCP LocalCluster equals the in-memory evaluation.
"""
import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from value_model_tuning.gap import (BootstrapSums, GapEvaluator, TuningWarning, gap_fraction_intervals, holdout_fractions,
                                    interval_frame, tune_gap_targets)
from value_model_tuning.regret import RegretEvaluator, minimize_regret, regret_intervals
from value_model_tuning.value_model import PredictionSet, synthetic_predictions

ROOT = Path(__file__).resolve().parents[1]
VMT = shutil.which("vmt") or str(Path(sys.executable).with_name("vmt"))
W = np.array([1.0, 2.0, 5.0, 20.0])


def band(level: float, trials: int, z: float = 3.29) -> tuple[float, float]:
    "The 99.9% (z = 3.29) normal band of an empirical coverage over `trials` independent intervals of `level`"
    h = z * np.sqrt(level * (1 - level) / trials)
    return level - h, level + h


def test_intervals_cover_the_population_values():
    pop = synthetic_predictions(n_requests=100_000, n_items=20, n_tasks=4, ragged=True, seed=42)
    rw = np.random.default_rng(1).choice([0.5, 1.0, 2.0], pop.n_requests)  # request weights, respected throughout
    pop = PredictionSet(pop.values, mask=pop.mask, tasks=pop.tasks, request_ids=pop.request_ids, request_weights=rw)
    k = 10
    xg = GapEvaluator.from_predictions(pop, k).per_request(W)
    xr = RegretEvaluator.from_predictions(pop, k=k).per_request(W)
    g = np.average(xg, axis=0, weights=rw)
    true_f, true_r = g / g.sum(), np.average(xr, axis=0, weights=rw)
    rng, M, n = np.random.default_rng(7), 800, 300
    hit_f, hit_r = np.zeros(4), np.zeros(4)
    for m in range(M):
        idx = np.sort(rng.choice(pop.n_requests, n, replace=False))
        # the loop reuses the population's per-request terms; the public functions give the same intervals
        s = BootstrapSums.from_losses(np.hstack([xg[idx], xr[idx]]), rw[idx], pop.request_ids[idx], 1000, seed=m)
        split = lambda c: BootstrapSums(s.total[c], s.weight, s.boot_total[:, c], s.boot_weight, n)
        f, r = interval_frame(split(slice(0, 4)), pop.tasks), interval_frame(split(slice(4, 8)), pop.tasks, value="regret")
        if m < 3:
            sub = pop.take_requests(idx)
            pd.testing.assert_frame_equal(gap_fraction_intervals(sub, W, k=k, seed=m), f, rtol=0, atol=1e-12)
            pd.testing.assert_frame_equal(regret_intervals(sub, W, k=k, seed=m), r, rtol=0, atol=1e-12)
        hit_f += (f.low <= true_f) & (true_f <= f.high)
        hit_r += (r.low <= true_r) & (true_r <= r.high)
    lo, hi = band(0.95, M)
    cov = np.concatenate([hit_f, hit_r]) / M
    # measured (this seed): fractions 0.936-0.946, regrets 0.937-0.955 over 1000 trials; percentile intervals run a
    # little short at n = 300, which the band allows for
    assert ((cov >= lo) & (cov <= hi)).all(), (cov, lo, hi)
    assert abs(cov.mean() - 0.95) < 0.015, cov


_WRITER = Path(__file__).resolve().parents[1] / "tools" / "write_synthetic_parquet.py"  # one row group at a time
_READ = r"""
import json, resource, sys
from value_model_tuning.value_model import PredictionSet
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
n = None if sys.argv[2] == "all" else int(sys.argv[2])
ps = PredictionSet.from_file(sys.argv[1], sample_requests=n, seed=0)
print(json.dumps(dict(grow_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base, shape=ps.shape)))
"""


def test_sampling_memory_does_not_grow_with_the_file(tmp_path):
    "Peak RSS of sampling 300 requests from 0.5M and 2M rows: equal within noise; reading whole: ~4x more"
    grow = {}
    for rows in (500_000, 2_000_000):
        path = tmp_path / f"p{rows}.parquet"
        subprocess.run([sys.executable, str(_WRITER), str(path), str(rows // 50), "50"], check=True)
        for n in ("300", "all"):
            out = subprocess.run([sys.executable, "-c", _READ, str(path), n], capture_output=True, text=True, check=True).stdout
            r = json.loads(out)
            assert r["shape"][:2] == ([int(n), 50] if n != "all" else [rows // 50, 50])
            grow[rows, n] = r["grow_mib"]
    # measured: sampling grows 17-40 MiB at both sizes; reading whole ~130 and ~650 MiB
    assert grow[2_000_000, "300"] < min(100, grow[500_000, "300"] + 50), grow
    assert grow[2_000_000, "all"] > 3 * grow[500_000, "all"], grow
    assert grow[2_000_000, "300"] < grow[2_000_000, "all"] / 4, grow


def test_holdout_flags_a_shift_and_not_sampling_noise():
    """Tuned on one synthetic sample, checked on an independent one from the same generator: at most 3 of 20 runs
    flag any task (the flags are Bonferroni-corrected to a 5% family-wise rate: measured 2 of 80); held-out sets
    from a shifted generator (other correlation and spread): every run flags"""
    targets = [0.4, 0.3, 0.2, 0.1]
    runs, misses = [], 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TuningWarning)
        for s in range(20):
            tune_on = synthetic_predictions(n_requests=900, n_items=30, n_tasks=4, seed=1000 + s)
            held = synthetic_predictions(n_requests=300, n_items=30, n_tasks=4, seed=5000 + s)
            h = holdout_fractions(tune_gap_targets(tune_on, targets, k=10), held, k=10, seed=s, tuned_on=tune_on)
            runs.append(bool(h.flagged.any()))
            misses += int((h.error > 1e-3).sum())
        assert sum(runs) <= 3, runs
        assert misses >= 20  # held-out misses beyond tol are common (noise ~0.01 > tol 1e-3), and are not flagged
        for s in range(3):
            tune_on = synthetic_predictions(n_requests=900, n_items=30, n_tasks=4, seed=2000 + s)
            shifted = synthetic_predictions(n_requests=300, n_items=30, n_tasks=4, correlation=0.8, item_sd=1.6, seed=6000 + s)
            h = holdout_fractions(tune_gap_targets(tune_on, targets, k=10), shifted, k=10, seed=s, tuned_on=tune_on)
            assert h.flagged.any(), h


def test_pattern_search_matches_de_with_far_fewer_evaluations():
    """Over 3 small datasets x 2 importance vectors (300 requests: a rough landscape): the pattern search's objective
    against the median of 3 DE seeds; measured -6e-6 .. +2.9e-5 (DE's own seed spread reaches 4.7e-5), with 10x fewer
    evaluations. (At 2,000 requests x 100 items it is -2e-6 on average: bench/bench_part_a_scale.py.)"""
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TuningWarning)
        for d in range(3):
            ps = synthetic_predictions(n_requests=300, n_items=30, n_tasks=4, seed=50 + d)
            for a in ([0.4, 0.3, 0.2, 0.1], np.random.default_rng(d).dirichlet(np.ones(4))):
                p = minimize_regret(ps, a, k=10)
                de = [minimize_regret(ps, a, k=10, method="de", seed=s) for s in (0, 1, 2)]
                rows.append((p.objective - np.median([r.objective for r in de]), p.n_evals, min(r.n_evals for r in de), p.converged))
    diff, pe, de_e, conv = map(np.array, zip(*rows))
    assert conv.all()
    assert (diff <= 5e-5).all() and diff.mean() <= 2e-5, diff
    assert (5 * pe <= de_e).all(), (pe, de_e)


def test_vmt_evaluate_on_a_dask_cluster_equals_in_memory(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    ps = synthetic_predictions(n_requests=400, n_items=25, n_tasks=4, ragged=True, seed=61)
    rows = ps.to_frame().sample(frac=1.0, random_state=2)  # every request spread over the files
    (tmp_path / "data").mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(rows)), 3)):
        rows.iloc[part].to_parquet(tmp_path / "data" / f"part{i}.parquet", index=False, row_group_size=700)
    (tmp_path / "vm.json").write_text(json.dumps({"weights": dict(zip(ps.tasks, W.tolist()))}))
    args = [VMT, "evaluate", "--predictions", str(tmp_path / "data"), "--value-model", str(tmp_path / "vm.json"),
            "--k", "10", "--json", "--n-boot", "300"]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                  dashboard_address=None) as cluster:
        dist = subprocess.run(args + ["--dask-scheduler", cluster.scheduler_address], capture_output=True, text=True, timeout=120)
    mem = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert dist.returncode == 0 and mem.returncode == 0, (dist.stderr, mem.stderr)
    d, m = json.loads(dist.stdout), json.loads(mem.stdout)
    assert d["n_requests"] == m["n_requests"] == 400
    for col in ("fraction", "fraction_low", "fraction_high", "regret", "regret_low", "regret_high"):
        np.testing.assert_allclose([d[col][t] for t in ps.tasks], [m[col][t] for t in ps.tasks], rtol=0, atol=1e-12)
