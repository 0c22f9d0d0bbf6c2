"The experiment grid gives identical numbers on joblib/loky and on a Dask LocalCluster for the same seeds."
import pandas as pd
import pytest

pytest.importorskip("dask.distributed")

from value_model_tuning.budget.experiments import run_grid
from value_model_tuning.budget.slates import SimConfig


def test_loky_and_dask_identical():
    cfg = SimConfig(n_users=150, n_items=30)
    args = (["sarsa", "qlearning", "myopic", "random"], [100, 300], [0.0, 0.8], [0, 1], cfg)
    kw = dict(n_jobs=2, progress=False, sarsa=dict(iterations=2), qlearning=dict(rounds=2))
    loky = run_grid(*args, backend="loky", **kw)
    dask = run_grid(*args, backend="dask", **kw)
    assert len(loky) == 2 * 2 * (2 * 2 + 2 + 1)
    assert loky[["play_rate", "expected_play", "ess"]].notna().all().all()
    pd.testing.assert_frame_equal(loky.drop(columns="seconds"), dask.drop(columns="seconds"), check_exact=True)
