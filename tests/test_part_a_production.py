"""Part A on production-shaped data (issue 11): ties, item order, time limits, impossible goals, light imports, CPUs.

Production predictions are quantized (calibrated or low-precision scores, cold-start items sharing one default
prediction), so tied scores are common. With the default tie policy (scikit-learn's group average) every fraction
and regret must not depend on the order in which candidates or requests are stored; solves must stop at their time
limit; goals that cannot be met for a visible reason must be refused up front, naming the task; importing the
compute modules must not load plotting libraries; and an evaluation must give the same bytes under every BLAS
kernel and SIMD level this machine can emulate. Every claim is checked on several data sets and shuffles.
"""
import os
import subprocess
import sys
import timeit
import warnings

import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from value_model_tuning.gap import GapEvaluator, TuningWarning, gap_fractions, tune_gap_targets
from value_model_tuning.ndcg import ndcg_at_k
from value_model_tuning.regret import RegretEvaluator, minimize_regret, regrets
from value_model_tuning.value_model import PredictionSet, seed_dataset, synthetic_predictions, task_sum

TAU = np.array([0.3, 0.5, 0.07, 0.07, 0.06])


def quiet(f, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TuningWarning)
        return f(*args, **kw)


def production_sets():
    "Quantized sets: 1 and 2 decimals, cold-start defaults, ragged requests with request weights"
    ragged = synthetic_predictions(n_requests=60, n_items=40, n_tasks=5, ragged=True, seed=7)
    ragged = PredictionSet(ragged.values, mask=ragged.mask, tasks=ragged.tasks,
                           request_weights=np.random.default_rng(8).uniform(0.5, 2.0, 60))
    return [("2 decimals, 20% cold start", synthetic_predictions(150, 50, 5, seed=1).quantized(2, cold_start=0.2, seed=2)),
            ("1 decimal", synthetic_predictions(150, 50, 5, seed=3).quantized(1, seed=4)),
            ("ragged, weighted, 2 decimals, 30% cold start", ragged.quantized(2, cold_start=0.3, seed=9)),
            ("seed data, 2 decimals", seed_dataset().quantized(2))]


@pytest.mark.parametrize("name,ps", production_sets(), ids=lambda x: x if isinstance(x, str) else "")
def test_fractions_and_regrets_do_not_move_under_shuffles(name, ps):
    # measured: at most 3.0e-14 (fractions; tiny total gaps amplify rounding) and 5.6e-16 (regrets) over 324 shuffles
    W = np.random.default_rng(10).dirichlet(np.ones(5), 3)
    for w in W:
        for k in (None, 10, 3):
            f, r = gap_fractions(ps, w, k=k), regrets(ps, w, k=k)
            for s in range(3):
                for sh in (ps.shuffled(seed=s), ps.shuffled(seed=s, requests=False), ps.shuffled(seed=s, items=False)):
                    np.testing.assert_allclose(gap_fractions(sh, w, k=k), f, rtol=0, atol=1e-12)
                    np.testing.assert_allclose(regrets(sh, w, k=k), r, rtol=0, atol=1e-12)


def test_the_index_policy_does_move_so_the_test_above_can_fail():
    ps = production_sets()[0][1]
    w = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
    f = gap_fractions(ps, w, k=10, ties="index")
    r = regrets(ps, w, k=10, ties="index")
    moved_f = max(np.abs(gap_fractions(ps.shuffled(seed=s), w, k=10, ties="index") - f).max() for s in range(3))
    moved_r = max(np.abs(regrets(ps.shuffled(seed=s), w, k=10, ties="index") - r).max() for s in range(3))
    assert moved_f > 1e-4 and moved_r > 1e-4, (moved_f, moved_r)  # measured 1.4e-3 and 5.1e-4


def test_tuned_weights_keep_their_error_on_every_storage_order():
    "The issue's report: weights 'converged at 9.9e-4' were 0.0009-0.0038 off target after shuffling the file's rows"
    ps = production_sets()[0][1]
    for tau in (np.array([0.3, 0.25, 0.2, 0.15, 0.1]), np.array([0.4, 0.3, 0.1, 0.1, 0.1])):
        r = quiet(tune_gap_targets, ps, tau, k=10)
        errs = [np.abs(gap_fractions(ps.shuffled(seed=s), r.weights, k=10) - tau).max() for s in range(5)]
        np.testing.assert_allclose(errs, r.max_error, rtol=0, atol=1e-12)  # measured spread <= 2.7e-15 (index policy: up to 6e-5)
        r_sh = quiet(tune_gap_targets, ps.shuffled(seed=11), tau, k=10)  # tuned on another order: converges alike
        assert r_sh.converged == r.converged
        if r.converged: assert np.abs(r_sh.weights - r.weights).max() < 1e-3


def test_ndcg_agrees_with_sklearn_on_heavily_tied_inputs():
    # gains and scores rounded to 1 decimal, shapes and cutoffs not used in the notebook; measured max 1.3e-15
    rng = np.random.default_rng(12)
    worst = 0.0
    for q, n in ((1, 2), (3, 17), (50, 33), (700, 5), (6, 530)):
        G, S = rng.random((q, n)).round(1), rng.normal(0.4, 0.4, (q, n)).round(1)
        G[:, -1] = np.maximum(G[:, -1], 0.1)
        M = rng.random((q, n)) < 0.75
        M[:, -2:] = True
        for k in (1, 4, n // 3 + 1, n, n + 1):
            want = [ndcg_score(G[i:i + 1], S[i:i + 1], k=k) for i in range(q)]
            want_m = [ndcg_score(G[i:i + 1, M[i]], S[i:i + 1, M[i]], k=k) for i in range(q)]
            worst = max(worst, np.abs(ndcg_at_k(G, S, k=k) - want).max(), np.abs(ndcg_at_k(G, S, k=k, mask=M) - want_m).max())
    assert worst <= 1e-10, worst


def test_regrets_agree_with_sklearn_on_quantized_predictions():
    ps = production_sets()[0][1]
    w = np.array([0.1, 0.2, 0.3, 0.2, 0.2])
    s = task_sum(ps.values, w)
    for k in (None, 7):
        want = [np.mean([1 - ndcg_score(ps.values[q:q + 1, :, t], s[q:q + 1], k=k) if ps.values[q, :, t].any() else 0.0
                         for q in range(ps.n_requests)]) for t in range(5)]
        np.testing.assert_allclose(regrets(ps, w, k=k), want, rtol=0, atol=1e-10)


# ---------------------------------------------------------------------------------------------------------------
# time limits: kept within about one evaluation (asserted with a generous factor, robust on a loaded machine)

@pytest.fixture(scope="module")
def big():
    return synthetic_predictions(n_requests=3000, n_items=60, n_tasks=5, seed=13)


def one_eval(f) -> float:
    return min(timeit.repeat(f, number=1, repeat=3))


@pytest.mark.parametrize("method", ["auto", "de", "slsqp", "controller"])
def test_gap_solves_stop_at_their_time_limit(big, method):
    ev = GapEvaluator.from_predictions(big, k=20)
    t_eval = one_eval(lambda: ev(np.full(5, 0.2)))
    limit = 1.0
    # tol 1e-12 is unreachable, so only the limit can stop the solve; max_iter is no obstacle either
    r = quiet(tune_gap_targets, big, np.full(5, 0.2), k=20, method=method, tol=1e-12, max_iter=100_000, time_limit=limit)
    assert r.seconds <= limit + 5 * t_eval + 0.5, (method, r.seconds, t_eval)  # measured: 0.010-0.047 s over, one eval 0.010 s
    assert r.info["time_limit_hit"] and not r.converged and "time limit of 1 s reached" in r.message, r.message
    np.testing.assert_allclose(gap_fractions(big, r.weights, k=20), r.fractions, rtol=0, atol=1e-12)


def test_auto_default_limit_is_ten_minutes_and_inf_means_none(big):
    r = quiet(tune_gap_targets, seed_dataset(), TAU, max_iter=3, de_max_iter=2)
    assert r.info["time_limit"] == 600.0 and not r.info["time_limit_hit"]
    r = quiet(tune_gap_targets, seed_dataset(), TAU, max_iter=3, de_max_iter=2, time_limit=float("inf"))
    assert r.info["time_limit"] == float("inf")


def test_regret_solves_stop_at_their_time_limit(big):
    ev = RegretEvaluator.from_predictions(big, k=20)
    t_batch = one_eval(lambda: ev(np.full((75, 5), 0.2)))  # one DE generation's batch
    # DE (with and without its polish) at tol 0 cannot stop before the limit; the default pattern search finishes this
    # set in ~1 s, so it gets a limit well inside its run (measured 0.2 s: 4 of its ~21 polls)
    for method, polish, limit in (("de", "powell", 1.0), ("de", None, 1.0), ("pattern", None, 0.2)):
        r = quiet(minimize_regret, big, np.full(5, 0.2), k=20, method=method, tol=0.0, max_iter=100_000, polish=polish,
                  time_limit=limit)
        assert r.seconds <= limit + 5 * t_batch + 0.5, (method, r.seconds, t_batch)  # measured 0.036-0.063 s over
        assert r.info["time_limit_hit"] and not r.converged and "time limit" in r.message, (method, r.message)
        np.testing.assert_allclose(regrets(big, r.weights, k=20), r.regrets, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# goals that cannot be met are refused before any search, in milliseconds, naming the task

def test_impossible_goals_raise_at_once_naming_the_task():
    P = seed_dataset().values.copy()
    P[..., 3] = 0.02  # a task constant within every request
    cases = [
        (lambda: tune_gap_targets(P, TAU), "task 'task_3' has target 0.07 but its predictions are constant"),
        (lambda: minimize_regret(P, TAU), "task 'task_3' has importance 0.07 but its predictions are constant"),
        (lambda: tune_gap_targets(seed_dataset(), TAU, pinned={"task_2": 0}), "task 'task_2' has target 0.07 but its weight is pinned to 0"),
        (lambda: tune_gap_targets(seed_dataset(), TAU, bounds={"task_0": (0, 0)}), "task 'task_0' has target 0.3 but its weight is bounded to 0"),
        (lambda: tune_gap_targets(seed_dataset(), TAU, bounds=(0.0, 0.15)), "upper bounds of the tuned tasks sum to 0.75 < 1"),
    ]
    for call, needle in cases:
        t0 = timeit.default_timer()
        with pytest.raises(ValueError, match=None) as e: call()
        assert needle in str(e.value), str(e.value)
        assert timeit.default_timer() - t0 < 1.0  # refused up front, not after a search
    # a task constant in every request but with target / importance 0 is fine
    r = quiet(tune_gap_targets, P, [0.3, 0.5, 0.1, 0.0, 0.1])
    assert r.weights[3] == 0.0


# ---------------------------------------------------------------------------------------------------------------
# light imports and bytes that do not depend on the CPU

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_compute_modules_load_no_plotting_library():
    mods = ["ndcg", "value_model", "gap", "regret", "diagnose", "cli", "budget.slates", "budget.oracle", "budget.agents"]
    code = ("import sys\n" + "".join(f"import value_model_tuning.{m}\n" for m in mods)
            + "print(sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'seaborn'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "[]", out


_CHILD = r"""
import hashlib, warnings
import numpy as np
from value_model_tuning.gap import TuningWarning, gap_fractions, perturbed_starts, tune_gap_targets
from value_model_tuning.regret import minimize_regret, regrets
from value_model_tuning.value_model import seed_dataset, synthetic_predictions
warnings.simplefilter("ignore", TuningWarning)
h = lambda *a: hashlib.sha1(b"".join(np.ascontiguousarray(x, dtype=np.float64).tobytes() for x in a)).hexdigest()
seed = seed_dataset()
quant = synthetic_predictions(n_requests=200, n_items=40, n_tasks=5, seed=1).quantized(2, cold_start=0.2, seed=2)
W = np.random.default_rng(4).dirichlet(np.ones(5), 4)
TAU = [0.3, 0.5, 0.07, 0.07, 0.06]
print("fractions", h(*[gap_fractions(p, w, k=k) for p in (seed, quant) for w in W for k in (None, 10)]))
print("regrets", h(*[regrets(p, w, k=k) for p in (seed, quant) for w in W for k in (None, 10)]))
print("starts", h(perturbed_starts(np.full(5, 0.2), 4, seed=3)))
r = tune_gap_targets(quant, TAU, k=10, method="controller", max_iter=40); print("controller", h(r.weights, r.fractions))
r = tune_gap_targets(seed, TAU, method="de", max_iter=15); print("de", h(r.weights))
r = minimize_regret(seed, TAU, seed=0, max_iter=20); print("regret", h(r.weights, r.regrets))
"""

VARIANTS = {  # "another CPU", emulated on this one: BLAS kernels and threads, numpy's SIMD level, glibc without FMA
    "SkylakeX": {"OPENBLAS_CORETYPE": "SkylakeX"}, "Sandybridge": {"OPENBLAS_CORETYPE": "Sandybridge"},
    "Prescott": {"OPENBLAS_CORETYPE": "Prescott"}, "1 BLAS thread": {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
    "numpy without AVX-512": {"NPY_DISABLE_CPU_FEATURES": "X86_V4"},
    "numpy without AVX2/AVX-512": {"NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"},
    "glibc without FMA": {"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F,-AVX_Fast_Unaligned_Load"},
}


@pytest.mark.skipif(os.uname().machine not in ("x86_64", "AMD64"), reason="OPENBLAS_CORETYPE names are x86 kernels")
def test_evaluation_and_solver_paths_are_bit_identical_across_kernels():
    "Same inputs -> the same bytes: no BLAS in any evaluation, no SVML in the solvers (measured identical under all 7)"
    def run(env):
        e = {k: v for k, v in os.environ.items() if not k.startswith(("OPENBLAS", "NPY_", "GLIBC_TUNABLES", "OMP_"))}
        return subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True,
                              env={**e, **env}, cwd=ROOT).stdout
    ref = run({})
    for name, env in VARIANTS.items():
        assert run(env) == ref, name
