"""Part A's headline claims, re-derived under perturbation so that they hold on any machine.

Another CPU rounds `P·w` differently in the last bit (a different BLAS kernel, other SIMD), and an optimizer's
path can then change. The same happens here when a start moves by a relative 1e-12, when the candidates of a
request or the requests themselves are stored in another order, or when a distribution is drawn with another
seed. Each test names the claim it re-derives (README "What the study found" and the ten-line example, and the
claims the Part A reports assert) and checks it under those perturbations, with margins below what was measured
under the OpenBLAS SkylakeX, Haswell, Sandybridge and Prescott kernels (OPENBLAS_CORETYPE) and numpy's baseline
SIMD (NPY_DISABLE_CPU_FEATURES). Nothing here asserts on one optimizer run.

Tied scores: production predictions are quantized (calibrated or low-precision scores, cold-start items sharing a
default prediction). Since issue 11 the metrics average over tied groups (scikit-learn's policy), so the order of the
candidates does not matter there either; the tests at the end re-derive the README example's claims on a quantized
copy of its data (tests/test_part_a_production.py checks the metric-level invariance on many more sets).
"""
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import approx_fprime, minimize
from sklearn.metrics import ndcg_score

from value_model_tuning.gap import TuningWarning, gap_fractions, perturbed_starts, tune_gap_targets
from value_model_tuning.regret import minimize_regret, regrets, seed_regret_rule
from value_model_tuning.value_model import SEED_TASK_MEANS, PredictionSet, ValueModel, seed_dataset, synthetic_predictions

ROOT = Path(__file__).resolve().parents[1]
TAU = np.array([0.3, 0.5, 0.07, 0.07, 0.06])  # the seed scripts' targets (and importances)
SEED = seed_dataset()
X0 = np.full(5, 0.2)


def quiet(f, *args, **kw):
    "Call a tuner with TuningWarning silenced (misses are counted by the tests instead)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TuningWarning)
        return f(*args, **kw)


def honest(r, predictions, k=None, metric="standard"):
    "The contract every gap result keeps on any machine: converged <=> max_error <= tol, fractions at the returned weights"
    assert r.converged == (r.max_error <= r.tol), (r.method, r.max_error, r.tol)
    np.testing.assert_allclose(gap_fractions(predictions, r.weights, k=k, metric=metric), r.fractions, rtol=0, atol=1e-12)
    assert abs(r.max_error - np.abs(r.fractions - r.targets).max()) <= 1e-15


# ---------------------------------------------------------------------------------------------------------------
# README ten-line example: "fractions after ... | converged: True | max error: 4.4e-04"

README_TARGETS = {"p_click": 0.4, "p_watch_30s": 0.3, "p_like": 0.2, "p_share": 0.1}
README_VM = {"p_click": 1.0, "p_watch_30s": 2.0, "p_like": 5.0, "p_share": 20.0}


@pytest.fixture(scope="module")
def readme_preds():
    return synthetic_predictions(n_requests=500, n_items=100, n_tasks=4, seed=0)


def test_readme_example_converges_from_nearby_starts_and_shuffled_data(readme_preds):
    tasks = list(README_VM)
    runs = [quiet(tune_gap_targets, readme_preds, README_TARGETS, k=20, initial=dict(zip(tasks, s)))
            for s in perturbed_starts(list(README_VM.values()), 3, scale=1e-12, seed=1)]
    shuffled = readme_preds.shuffled(seed=2)
    runs_sh = [quiet(tune_gap_targets, shuffled, README_TARGETS, k=20, initial=ValueModel(README_VM))]
    for r in runs: honest(r, readme_preds, k=20)
    for r in runs_sh: honest(r, shuffled, k=20)
    # measured: every run converges at max error 4.4e-4 (tol 1e-3), weights equal to ~1e-15 across kernels
    assert sum(r.converged for r in runs + runs_sh) >= 3
    for r in runs + runs_sh:
        assert sum(r.scaled_weights.values()) == pytest.approx(sum(README_VM.values()), rel=1e-12)
    w = np.array([r.weights for r in runs + runs_sh])
    assert np.ptp(w, axis=0).max() < 1e-3  # the same answer to the precision the README prints it


def test_shuffles_move_no_fraction_or_regret_on_continuous_predictions(readme_preds):
    "Fixed weights, continuous predictions: the order of candidates and of requests changes nothing beyond rounding"
    # measured: at most 1.9e-15 over 10 shuffles of each set (quantized predictions: see the end of this file)
    ragged = synthetic_predictions(n_requests=40, n_items=30, n_tasks=5, ragged=True, seed=3)
    ragged = PredictionSet(ragged.values, mask=ragged.mask, tasks=ragged.tasks,
                           request_weights=np.random.default_rng(4).uniform(0.5, 2.0, 40))
    cases = [(readme_preds, np.array(list(README_VM.values())), 20), (SEED, X0, None), (SEED, TAU, 10),
             (ragged, np.array([0.1, 0.3, 2.0, 5.0, 9.0]), None), (ragged, np.array([0.1, 0.3, 2.0, 5.0, 9.0]), 7)]
    for ps, w, k in cases:
        f, r = gap_fractions(ps, w, k=k), regrets(ps, w, k=k)
        f_seed = gap_fractions(ps, w, k=k, metric="seed")
        for s in range(3):
            sh = ps.shuffled(seed=s)
            np.testing.assert_allclose(gap_fractions(sh, w, k=k), f, rtol=0, atol=1e-12)
            np.testing.assert_allclose(gap_fractions(sh, w, k=k, metric="seed"), f_seed, rtol=0, atol=1e-12)
            np.testing.assert_allclose(regrets(sh, w, k=k), r, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# README "What the study found" (from the SLSQP diagnosis report, section 4): over 20 synthetic datasets the
# controller's median error is ~6e-4 with 100% of runs within 0.01, against ~60% for SLSQP (fixed objective).

def seed_like_cases(data_seed: int):
    "The diagnosis report's datasets: the seed recipe from Generator([data_seed, i]); even i seed targets, odd i reachable"
    for i in range(20):
        g = np.random.default_rng([data_seed, i])
        P = PredictionSet.from_array(np.clip(np.abs(g.normal(SEED_TASK_MEANS, 0.01, (100, 5))), 0, 0.99))
        w_star = np.random.default_rng([data_seed, i, 1]).dirichlet(np.ones(5))
        yield P, (TAU if i % 2 == 0 else gap_fractions(P, w_star))


@pytest.mark.parametrize("data_seed,start_scale", [(0, 1e-12), (1, 0.0), (2, 0.0)])
def test_controller_beats_slsqp_over_twenty_datasets(data_seed, start_scale):
    ctrl, fixed = [], []
    for j, (P, tgt) in enumerate(seed_like_cases(data_seed)):
        x = perturbed_starts(X0, 1, scale=start_scale, seed=j)[0]
        ctrl.append(quiet(tune_gap_targets, P, tgt, method="controller", initial=x))
        fixed.append(quiet(tune_gap_targets, P, tgt, method="slsqp", initial=x, n_starts=1, fallback=None))
    e_c, e_s = np.array([r.max_error for r in ctrl]), np.array([r.max_error for r in fixed])
    # measured (3 dataset draws x 5 BLAS/SIMD variants): controller median 6.3e-4-7.8e-4, 100% <= 0.01;
    # fixed SLSQP 40-60% <= 0.01
    assert np.median(e_c) <= 1e-3 and (e_c <= 0.01).mean() >= 0.9, e_c
    assert (e_s <= 0.01).mean() <= (e_c <= 0.01).mean() - 0.2, (e_s, e_c)
    assert 0.1 <= (e_s <= 0.01).mean() <= 0.9, e_s  # "about half": SLSQP works on some datasets, not on others


# ---------------------------------------------------------------------------------------------------------------
# README / diagnosis section 1: the original SLSQP objective is constant (spread ~2e-11) and SLSQP stops after 1
# iteration with "success"; its printed fractions are the position-indexed metric (the seed README's numbers).

def seed_slsqp_objective(w, data, tau):
    "The seed SLSQP objective as written: sklearn nDCG of sorted base scores vs *sorted* task-ignored scores"
    base = data @ w
    base_sorted = base[np.argsort(base)[::-1]]
    g = []
    for t in range(len(w)):
        ign = data @ np.where(np.arange(len(w)) == t, 0.0, w)
        g.append(1.0 - ndcg_score([base_sorted], [ign[np.argsort(ign)[::-1]]]))
    g = np.array(g)
    return float(np.sum((tau - g / max(1e-4, g.sum())) ** 2))


@pytest.mark.parametrize("shuffle", [False, True])
def test_seed_slsqp_objective_is_constant_and_slsqp_stops_at_once(shuffle):
    data = SEED.shuffled(seed=5).values[0] if shuffle else SEED.values[0]
    W = np.random.default_rng(6).dirichlet(np.ones(5), 150)
    obj = np.array([seed_slsqp_objective(w, data, TAU) for w in W])
    assert np.ptp(obj) < 1e-9 and np.abs(obj - np.sum(TAU ** 2)).max() < 1e-9  # measured spread 2.2e-11
    readme_printed = np.array([0.207, 0.183, 0.115, 0.180, 0.315])  # the seed README's SLSQP output
    for x in perturbed_starts(X0, 2, scale=1e-12, seed=7):
        x = x / x.sum()
        res = minimize(seed_slsqp_objective, x, args=(data, TAU), method="SLSQP", bounds=[(0, 1)] * 5,
                       constraints=({"type": "eq", "fun": lambda v: v.sum() - 1},), tol=1e-10, options={"maxiter": 1000})
        assert res.success and res.nit <= 2 and np.linalg.norm(res.x - x) < 1e-5, (res.nit, res.x - x)
        printed = gap_fractions(PredictionSet.from_array(data), res.x, metric="seed")
        assert np.abs(printed - readme_printed).max() < 5e-4


def test_regret_slsqp_returns_its_start_because_the_fd_gradient_is_zero():
    "Diagnosis section 2: under SLSQP's step the regret objective's FD gradient is exactly 0 (the gap objective's is not)"
    reg = lambda w: float(TAU @ regrets(SEED, w))
    gap = lambda w: float(np.sum((gap_fractions(SEED, w) - TAU) ** 2))
    for x in perturbed_starts(X0, 3, scale=1e-12, seed=8):
        assert np.linalg.norm(approx_fprime(x, reg, 1.49e-8)) == 0.0
        assert np.linalg.norm(approx_fprime(x, gap, 1.49e-8)) > 0.0
        res = minimize(reg, x, method="SLSQP", bounds=[(0, 1)] * 5, constraints=({"type": "eq", "fun": lambda v: v.sum() - 1},),
                       tol=1e-10, options={"maxiter": 1000})
        assert res.success and np.abs(res.x - x).max() < 1e-12  # it returns its start (up to the constraint's rounding)


# ---------------------------------------------------------------------------------------------------------------
# Diagnosis section 5: fixed SLSQP meets 1e-3 from m of M starts perturbed by 1e-12; the controller from ~all.

def test_slsqp_alone_is_start_sensitive_and_its_safety_net_is_not():
    starts = perturbed_starts(X0, 40, scale=1e-12, seed=9)  # other directions than the report's
    fixed = [quiet(tune_gap_targets, SEED, TAU, method="slsqp", initial=s, n_starts=1, fallback=None) for s in starts]
    ctrl = [quiet(tune_gap_targets, SEED, TAU, method="controller", initial=s) for s in starts]
    net = [quiet(tune_gap_targets, SEED, TAU, method="slsqp", initial=s) for s in starts[:8]]
    for r in fixed + ctrl + net: honest(r, SEED)
    m_fixed, m_ctrl, m_net = (sum(r.converged for r in rs) for rs in (fixed, ctrl, net))
    e_fixed = [r.max_error for r in fixed]
    # measured: fixed 3-7 of 20 per kernel (15-35%), controller 20 of 20 at the same 5.92e-4, safety net 20 of 20
    assert m_fixed >= 1 and max(e_fixed) > 3 * min(e_fixed), e_fixed  # it can get there, but where it ends is chance
    assert m_ctrl >= 36 and m_fixed < m_ctrl
    assert np.ptp([r.max_error for r in ctrl]) < 1e-9  # the controller's answer does not depend on the last bits
    assert m_net >= 6 and {r.method for r in net} <= {"slsqp", "slsqp→de"}


def test_every_method_is_honest_from_nearby_starts_and_misses_loudly():
    for method in ("auto", "controller", "slsqp", "de", "seed"):
        for s in perturbed_starts(X0, 2, scale=1e-12, seed=10):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                r = tune_gap_targets(SEED, TAU, method=method, initial=s)
            honest(r, SEED, metric="seed" if method == "seed" else "standard")
            assert any(issubclass(w.category, TuningWarning) for w in caught) == (not r.converged), method
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        miss = tune_gap_targets(SEED, TAU, method="slsqp", tol=1e-9, max_iter=3, n_starts=2, de_max_iter=3)
    assert (miss.method, miss.converged) == ("slsqp→de", False) and issubclass(caught[-1].category, TuningWarning)
    honest(miss, SEED)


def test_cli_settings_converge_from_nearby_starts():
    "The settings tests/test_cli.py and nbs/05_cli.ipynb run through `vmt gap` (auto, seed data, k=50 / full list)"
    for total, k in ((2.0, 50), (1.0, None)):
        rs = [quiet(tune_gap_targets, SEED, dict(zip(SEED.tasks, TAU)), k=k, initial=dict(zip(SEED.tasks, s)))
              for s in perturbed_starts(np.full(5, total), 3, scale=1e-12, seed=11)]
        for r in rs: honest(r, SEED, k=k)
        assert sum(r.converged for r in rs) >= 2, [r.max_error for r in rs]  # measured 3 of 3


# ---------------------------------------------------------------------------------------------------------------
# README "Regret": importance-weighted regret minimization reaches 0.0552 on the seed data against 0.0844 uniform.

def test_regret_minimization_over_seeds_starts_and_shuffles():
    uniform = float(TAU @ regrets(SEED, X0))
    assert abs(uniform - 0.0844) < 5e-5
    runs = [minimize_regret(SEED, TAU, seed=s, initial=x) for s, x in enumerate(perturbed_starts(X0, 4, scale=1e-12, seed=12))]
    sh = SEED.shuffled(seed=13)
    runs += [minimize_regret(sh, TAU, seed=7)]
    assert abs(float(TAU @ regrets(sh, X0)) - uniform) < 1e-12
    obj = np.array([r.objective for r in runs])
    for r, ps in zip(runs, [SEED] * 4 + [sh]):
        assert abs(r.objective - float(TAU @ regrets(ps, r.weights))) < 1e-12  # measured at the returned weights
    # measured: 0.05517 from every nearby start and the shuffle with the default pattern search (issue 12), as from
    # 10 of 10 DE seeds under three BLAS kernels before it
    assert (obj < uniform).all() and np.median(obj) == pytest.approx(0.0552, abs=5e-4)
    assert (np.abs(obj - 0.0552) < 1e-3).sum() >= 4, obj


# ---------------------------------------------------------------------------------------------------------------
# Seed reproduction: the seed rule's published checkpoints, and the seed gap heuristic's published output.

def test_seed_rules_reproduce_published_numbers_from_nearby_starts_and_shuffled_data():
    sh = SEED.shuffled(seed=14)
    for ps, x in [(SEED, perturbed_starts(X0, 1, seed=15)[0]), (sh, X0)]:
        r3k = seed_regret_rule(ps, TAU, lr=0.03, max_iter=3000, initial=x)
        np.testing.assert_allclose(r3k.weights, [0.546, 0.355, 0.036, 0.032, 0.030], rtol=0, atol=5e-4)  # 3 decimals
        g = quiet(tune_gap_targets, ps, TAU, method="seed", initial=x)
        np.testing.assert_allclose(g.weights, [0.269, 0.354, 0.137, 0.143, 0.097], rtol=0, atol=5e-4)
        np.testing.assert_allclose(g.info["printed_fractions"], [0.297, 0.504, 0.069, 0.072, 0.058], rtol=0, atol=5e-4)
        assert not g.converged and abs(g.max_error - 0.0031) < 5e-5
    r10k = seed_regret_rule(SEED, TAU, lr=0.03, max_iter=10_000, initial=perturbed_starts(X0, 1, seed=16)[0])
    np.testing.assert_allclose(r10k.weights, [0.602, 0.398, 0, 0, 0], rtol=0, atol=2e-3)  # the collapse


# ---------------------------------------------------------------------------------------------------------------
# gap_targeting report / README "the tuned weights reach them within 7.9e-04" (the example value model).

def test_gap_targeting_example_from_nearby_start_and_shuffled_data():
    vm = ValueModel.from_json(ROOT / "nbs" / "data" / "sample_vm.json")
    raw = synthetic_predictions(n_requests=500, n_items=100, n_tasks=6, correlation=0.3, seed=0).select_tasks(
        ["p_click", "p_watch_30s", "p_share", "p_like", "p_follow"])
    ps = PredictionSet(raw.values, mask=raw.mask, tasks=vm.tasks)
    targets = {"p_watch_3s": 0.1, "p_watch_30s": 0.25, "p_watch_and_share": 0.25, "p_watch_and_like": 0.2, "p_watch_and_follow": 0.2}
    start = dict(zip(vm.tasks, perturbed_starts(vm.as_array(), 1, seed=17)[0]))
    rs = [quiet(tune_gap_targets, ps, targets, initial=start), quiet(tune_gap_targets, ps.shuffled(seed=18), targets, initial=vm)]
    honest(rs[0], ps); honest(rs[1], ps.shuffled(seed=18))
    assert sum(r.converged for r in rs) >= 1 and min(r.max_error for r in rs) < 1e-3  # measured both, at 7.9e-4
    f0 = gap_fractions(ps.shuffled(seed=19), vm)  # "started 0.69 away; one task caused 94% of the movement"
    assert abs(np.abs(f0 - [targets[t] for t in vm.tasks]).max() - 0.69) < 5e-3 and abs(f0.max() - 0.94) < 5e-3


# ---------------------------------------------------------------------------------------------------------------
# The README example on production-shaped data: its predictions rounded to 2 decimals, 20% cold-start candidates
# sharing one default prediction. Claims: fractions and regrets at fixed weights do not move under shuffles; the
# tune converges from nearby starts and on shuffled copies; the weights tuned on one storage order keep their error
# on every other order (the report: 0.0009-0.0038 off target after shuffling the rows, with index ties).

@pytest.fixture(scope="module")
def readme_quantized(readme_preds):
    return readme_preds.quantized(2, cold_start=0.2, seed=21)


def test_readme_example_on_quantized_predictions(readme_quantized):
    ps, tasks = readme_quantized, list(README_VM)
    w = np.array(list(README_VM.values()))
    f, r = gap_fractions(ps, w, k=20), regrets(ps, w, k=20)
    for s in range(3):
        sh = ps.shuffled(seed=30 + s)
        np.testing.assert_allclose(gap_fractions(sh, w, k=20), f, rtol=0, atol=1e-12)
        np.testing.assert_allclose(regrets(sh, w, k=20), r, rtol=0, atol=1e-12)
    runs = [quiet(tune_gap_targets, ps, README_TARGETS, k=20, initial=dict(zip(tasks, x)))
            for x in perturbed_starts(w, 2, scale=1e-12, seed=22)]
    runs_sh = [quiet(tune_gap_targets, ps.shuffled(seed=23 + s), README_TARGETS, k=20, initial=ValueModel(README_VM)) for s in range(2)]
    for x in runs: honest(x, ps, k=20)
    for s, x in enumerate(runs_sh): honest(x, ps.shuffled(seed=23 + s), k=20)
    assert sum(x.converged for x in runs + runs_sh) >= 3, [x.max_error for x in runs + runs_sh]  # measured 4 of 4, 4.3e-4..4.6e-4
    tau = np.array([README_TARGETS[t] for t in tasks])
    for x in runs[:1] + runs_sh[:1]:
        errs = [np.abs(gap_fractions(ps.shuffled(seed=40 + s), x.weights, k=20) - tau).max() for s in range(3)]
        np.testing.assert_allclose(errs, x.max_error, rtol=0, atol=1e-12)
    assert np.ptp([x.weights for x in runs + runs_sh], axis=0).max() < 1e-3  # measured 4.7e-5
