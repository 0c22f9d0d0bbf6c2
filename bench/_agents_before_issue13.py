"""The RL agents as they were before issue 13 (commit b68a535), kept only as the speed reference of
bench_agents.py: the same worlds are trained by this and by value_model_tuning.budget.agents in one run,
so the printed ratio is measured on the same machine at the same time. Not part of the package."""
# Frozen copy of value_model_tuning/budget/agents.py at b68a535 (then generated from nbs/12_agents.ipynb); never edited.

# %% ../../nbs/12_agents.ipynb #15f60956
from __future__ import annotations

import contextlib, copy, time
from dataclasses import dataclass
from typing import Any, Callable, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from value_model_tuning.budget.slates import (World, check_slates, effective_slate_size, examined_mask, expected_play,
                                              play_probability, simulate, slot_play_probs)

# %% auto #0
__all__ = ['FEATURES', 'ITEM_MONOTONE', 'Q_MODELS', 'DEFAULT_Q_MODEL', 'REWARDS', 'state_action_features', 'slate_states',
           'slate_features', 'candidate_items', 'QModel', 'is_item_monotone', 'WarmBoostedQ', 'make_q_model',
           'epsilon_greedy_slates', 'marginal_play_gain', 'slot_rewards', 'td_targets', 'sarsa_targets',
           'qlearning_targets', 'GreedyPolicy', 'AgentResult', 'run_sarsa', 'run_bandit', 'run_qlearning']

# %% ../../nbs/12_agents.ipynb #b93b8a7a
FEATURES = ("slot", "relevance", "cost", "budget_to_go", "log_cum_value", "slack")

# Sign of dq/d(feature) that makes q non-decreasing in the item's relevance and non-increasing in its
# cost for a fixed state (slack = budget_to_go - cost rises when cost falls): what licenses pruning below.
ITEM_MONOTONE = (0, 1, -1, 0, 0, 1)


def state_action_features(
    slot: np.ndarray | int, # slot index k (0-based)
    relevance: np.ndarray, # r_a of the candidate item
    cost: np.ndarray, # c_a of the candidate item
    budget_to_go: np.ndarray, # beta: budget minus the cost of the items above
    cum_value: np.ndarray, # W: summed item value v of the items above
) -> np.ndarray:
    "Feature rows `(..., 6)` in the order of `FEATURES`; all inputs broadcast against each other"
    slot, relevance, cost, budget_to_go, cum_value = np.broadcast_arrays(
        *(np.asarray(x, dtype=np.float64) for x in (slot, relevance, cost, budget_to_go, cum_value)))
    return np.stack([slot, relevance, cost, budget_to_go, np.log1p(cum_value), budget_to_go - cost], axis=-1)

# %% ../../nbs/12_agents.ipynb #61a121e7
def slate_states(
    slates: np.ndarray, # (U, K) item indices
    world: World, # items and budgets
) -> tuple[np.ndarray, np.ndarray]:
    "Budget to go and cumulative value before every slot, `(U, K)` each"
    cost, value = world.cost[slates], world.item_value[slates]
    return world.budgets[:, None] - (np.cumsum(cost, axis=1) - cost), np.cumsum(value, axis=1) - value


def slate_features(
    slates: np.ndarray, # (U, K) item indices
    world: World, # items and budgets
) -> np.ndarray:
    "Features `(U, K, 6)` of the action taken at every slot of every user's slate"
    s = check_slates(slates, world)
    budget_to_go, cum_value = slate_states(s, world)
    return state_action_features(np.arange(s.shape[1]), world.relevance[s], world.cost[s], budget_to_go, cum_value)

# %% ../../nbs/12_agents.ipynb #b8e1fb46
def candidate_items(
    world: World, # items (their costs and relevance)
    placed: np.ndarray, # (U, N) bool: items already in each user's slate
    prune: bool = True, # keep only the remaining items no other remaining item dominates
) -> tuple[np.ndarray, np.ndarray]:
    "Flat `(users, items)` pairs of every user's candidates, grouped by user, cheapest first"
    order = np.argsort(world.cost, kind="stable")
    remaining = ~placed[:, order]
    if prune:  # on the front iff more relevant than every cheaper remaining item
        rel = world.relevance[order]
        best_so_far = np.maximum.accumulate(np.where(remaining, rel, -np.inf), axis=1)
        best_cheaper = np.concatenate([np.full((placed.shape[0], 1), -np.inf), best_so_far[:, :-1]], axis=1)
        remaining &= rel > best_cheaper
    users, cols = np.nonzero(remaining)
    return users, order[cols]

# %% ../../nbs/12_agents.ipynb #f7d36cbc
def _group_starts(users: np.ndarray, n_users: int) -> np.ndarray:
    "First row of each user's group in a user-sorted flat array (every user has >= 1 row)"
    return np.searchsorted(users, np.arange(n_users))


def _group_argmax(
    q: np.ndarray, # (R,) scores of the flat candidate rows
    relevance: np.ndarray, # (R,) tie-break: the more relevant item wins among equal scores
    users: np.ndarray, # (R,) user of each row, sorted
    starts: np.ndarray, # (U,) first row of each user
) -> np.ndarray:
    "Row index of each user's best candidate (ties: higher relevance, then the earlier row)"
    best = q == np.maximum.reduceat(q, starts)[users]
    key = np.where(best, relevance, -np.inf)
    hit = np.flatnonzero(best & (key == np.maximum.reduceat(key, starts)[users]))
    return hit[np.r_[True, users[hit][1:] != users[hit][:-1]]]

# %% ../../nbs/12_agents.ipynb #e8668f18
@runtime_checkable
class QModel(Protocol):
    "A regressor of the action value: `fit(X, y)` on feature rows `(R, 6)`, `predict(X) -> (R,)`"
    def fit(self, X: np.ndarray, y: np.ndarray) -> Any: ...
    def predict(self, X: np.ndarray) -> np.ndarray: ...


def is_item_monotone(model: Any) -> bool:
    "Whether `model`'s predictions are non-decreasing in relevance and non-increasing in cost for a fixed state"
    flag = getattr(model, "item_monotone", None)
    if flag is not None: return bool(flag)
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    cst = params.get("monotonic_cst", params.get("monotone_constraints"))
    if cst is None or isinstance(cst, dict) or len(cst) != len(FEATURES): return False
    return all(np.sign(cst[i]) == ITEM_MONOTONE[i] for i in (1, 2, 5))

# %% ../../nbs/12_agents.ipynb #e3986bbe
class WarmBoostedQ:
    "Gradient boosting that keeps its trees and adds `step` more on every `fit` (the published notebook's scheme, step 1)"
    item_monotone = True

    def __init__(self,
                 step: int = 10, # trees added per fit
                 random_state: int | None = None, # seed of the boosting
                 **params): # more HistGradientBoostingRegressor parameters
        self.step, self.random_state, self.params = step, random_state, params
        self.model_ = None

    def get_params(self, deep: bool = False) -> dict:
        return dict(step=self.step, random_state=self.random_state, **self.params)

    def set_params(self, **params) -> WarmBoostedQ:
        for k, v in params.items():
            if k in ("step", "random_state"): setattr(self, k, v)
            else: self.params[k] = v
        return self

    def fit(self, X: np.ndarray, y: np.ndarray) -> WarmBoostedQ:
        if self.model_ is None:
            self.model_ = HistGradientBoostingRegressor(
                max_iter=0, warm_start=True, early_stopping=False, monotonic_cst=list(ITEM_MONOTONE),
                random_state=self.random_state, **{"max_leaf_nodes": 15, "learning_rate": 0.2, **self.params})
        self.model_.set_params(max_iter=self.model_.max_iter + self.step)
        self.model_.fit(X, y)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray: return self.model_.predict(X)

# %% ../../nbs/12_agents.ipynb #33f6887b
def _hgb(random_state: int, max_iter: int = 50, max_leaf_nodes: int = 15, learning_rate: float = 0.2,
         monotonic_cst=ITEM_MONOTONE, **kw):
    # early stopping off: it would hold out 10% of the transitions and add a data-dependent tree count
    return HistGradientBoostingRegressor(max_iter=max_iter, max_leaf_nodes=max_leaf_nodes, learning_rate=learning_rate,
                                         early_stopping=False, monotonic_cst=list(monotonic_cst),
                                         random_state=random_state, **kw)


def _lightgbm(random_state: int, monotone: bool = True, **kw):
    from lightgbm import LGBMRegressor  # optional dependency: only this preset needs it
    # n_jobs=1: LightGBM ignores threadpoolctl's limit, and two spinning OpenMP threads on a busy
    # 2-core machine made runs ~10x slower in our measurements
    params = dict(n_estimators=50, num_leaves=15, learning_rate=0.2, n_jobs=1, verbose=-1, deterministic=True,
                  force_row_wise=True, random_state=random_state)
    if monotone: params["monotone_constraints"] = list(ITEM_MONOTONE)
    return LGBMRegressor(**{**params, **kw})


def _spline_ridge(random_state: int):
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer
    # an additive model: cubic splines per feature, closed-form ridge fit (pairwise products would need
    # ~1000 columns for every one of the ~400k rows scored per slot)
    return make_pipeline(SplineTransformer(n_knots=8, degree=3), Ridge(alpha=1e-3))


Q_MODELS: dict[str, Callable[[int], QModel]] = {
    "hgb": _hgb, # sklearn HistGradientBoosting, 50 trees x 15 leaves, monotone (the default)
    "hgb-large": lambda rs: _hgb(rs, max_iter=100, max_leaf_nodes=31, learning_rate=0.1), # 100 trees x 31 leaves
    "hgb-warm": lambda rs: WarmBoostedQ(step=10, random_state=rs), # +10 trees per update, never refit
    "lightgbm": _lightgbm, # LightGBM, same size as "hgb", monotone
    "lightgbm-free": lambda rs: _lightgbm(rs, monotone=False), # unconstrained: every remaining item is scored
    "spline-ridge": _spline_ridge, # closed-form ridge on additive cubic-spline features
}
DEFAULT_Q_MODEL = "hgb"


def make_q_model(
    model: str | QModel | None = None, # preset name in Q_MODELS, a model to copy, or None (DEFAULT_Q_MODEL)
    random_state: int = 0, # seed given to the model
) -> QModel:
    "A fresh, untrained Q-model: a preset built with `random_state`, or a deep copy of `model` reseeded"
    if model is None: model = DEFAULT_Q_MODEL
    if isinstance(model, str):
        if model not in Q_MODELS: raise ValueError(f"model must be one of {sorted(Q_MODELS)} or a QModel; got {model!r}")
        return Q_MODELS[model](int(random_state))
    if not isinstance(model, QModel): raise ValueError(f"model needs fit(X, y) and predict(X); got {type(model).__name__}")
    m = copy.deepcopy(model)
    if hasattr(m, "get_params") and "random_state" in m.get_params(deep=False): m.set_params(random_state=int(random_state))
    return m

# %% ../../nbs/12_agents.ipynb #300d5e47
def _check_unit(x: float, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)) or not 0.0 <= x <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1]; got {x!r}")
    return float(x)


def _check_count(x: int, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {x!r}")
    return int(x)


def _limit_threads(threads: int | None):
    "Cap BLAS/OpenMP threads (None: leave as is)"
    return contextlib.nullcontext() if threads is None else threadpool_limits(limits=_check_count(threads, "threads"))


def _check_world(world) -> World:
    if not isinstance(world, World): raise ValueError(f"world must be a World; got {type(world).__name__}")
    return world


def _build_slates(world: World, model: QModel | None, epsilon: float, rng: np.random.Generator | None,
                  prune: bool) -> tuple[np.ndarray, np.ndarray]:
    "ε-greedy slates `(U, K)` and the features `(U, K, 6)` of the chosen actions; model None = uniformly random"
    U, N, K = world.n_users, world.n_items, world.slate_size
    users = np.arange(U)
    placed = np.zeros((U, N), bool)
    slates = np.empty((U, K), np.int64)
    X = np.empty((U, K, len(FEATURES)))
    budget_to_go, cum_value = world.budgets.copy(), np.zeros(U)
    greedy_all = model is not None and epsilon == 0.0
    for k in range(K):
        if not greedy_all:
            explore = rng.random(U) < epsilon if model is not None else np.ones(U, bool)
            keys = rng.random((U, N))
            keys[placed] = 2.0  # the argmin of the rest is a uniform draw among remaining items
            pick = keys.argmin(axis=1)
        if model is not None and (greedy_all or not explore.all()):
            cu, ci = candidate_items(world, placed, prune)
            q = model.predict(state_action_features(k, world.relevance[ci], world.cost[ci], budget_to_go[cu],
                                                    cum_value[cu]))
            best = ci[_group_argmax(q, world.relevance[ci], cu, _group_starts(cu, U))]
            pick = best if greedy_all else np.where(explore, pick, best)
        X[:, k] = state_action_features(k, world.relevance[pick], world.cost[pick], budget_to_go, cum_value)
        slates[:, k] = pick
        placed[users, pick] = True
        budget_to_go -= world.cost[pick]
        cum_value += world.item_value[pick]
    return slates, X


def epsilon_greedy_slates(
    world: World, # items and users to build slates for
    model: QModel, # fitted Q-model
    epsilon: float = 0.0, # probability of a uniformly random remaining item at each slot (0 = greedy)
    rng: np.random.Generator | None = None, # source of the exploration draws; required when epsilon > 0
    prune: bool | None = None, # score only non-dominated items; None = when the model is item-monotone
) -> np.ndarray:
    "Slates `(U, K)` built slot by slot: each user's best-scoring remaining item, or with prob. ε a random one"
    _check_world(world)
    if not isinstance(model, QModel): raise ValueError(f"model needs fit(X, y) and predict(X); got {type(model).__name__}")
    epsilon = _check_unit(epsilon, "epsilon")
    if epsilon > 0 and not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator when epsilon > 0; got {type(rng).__name__}")
    return _build_slates(world, model, epsilon, rng, is_item_monotone(model) if prune is None else prune)[0]

# %% ../../nbs/12_agents.ipynb #f0be2ad4
REWARDS = ("sampled", "expected", "marginal")


def marginal_play_gain(
    slates: np.ndarray, # (U, K) item indices
    world: World, # items, budgets and choice model
) -> np.ndarray:
    "Increase in play probability from examining each slot, `(U, K)`; rows sum to `expected_play`"
    seen = examined_mask(slates, world)
    W = np.cumsum(np.where(seen, world.item_value[check_slates(slates, world)], 0.0), axis=1)
    return np.diff(play_probability(W, world.choice, world.null_logit), axis=1, prepend=0.0)


def slot_rewards(
    slates: np.ndarray, # (U, K) item indices
    world: World, # items, budgets and choice model
    rng: np.random.Generator, # source of the simulated choices
    reward: str = "sampled", # one of REWARDS
) -> tuple[np.ndarray, float]:
    "Per-slot rewards `(U, K)` of the chosen kind, and the sampled play-rate (always simulated, for the history)"
    if reward not in REWARDS: raise ValueError(f"reward must be one of {REWARDS}; got {reward!r}")
    sim = simulate(slates, world, rng)
    r = {"sampled": lambda: sim.rewards, "expected": lambda: slot_play_probs(slates, world),
         "marginal": lambda: marginal_play_gain(slates, world)}[reward]()
    return r, sim.play_rate

# %% ../../nbs/12_agents.ipynb #9d5521de
def td_targets(
    rewards: np.ndarray, # (U, K) per-slot rewards
    next_value: np.ndarray, # (U, K-1) value of the state after slot k (for k < K-1)
    next_budget: np.ndarray, # (U, K-1) budget to go after slot k
    gamma: float, # discount in [0, 1]
    clip: bool = True, # clip next values to [0, 1]: one play per slate bounds every return
    budget_terminal: bool = True, # next state with budget to go <= 0 has value 0 (nothing later is examined)
) -> np.ndarray:
    "Targets `(U, K)`: $r_k + \\gamma V(s_{k+1})$, with the last slot terminal"
    v = np.clip(next_value, 0.0, 1.0) if clip else np.asarray(next_value, dtype=np.float64)
    if budget_terminal: v = np.where(next_budget > 0, v, 0.0)
    return rewards + gamma * np.concatenate([v, np.zeros((v.shape[0], 1))], axis=1)


def sarsa_targets(
    model: QModel, # current Q-model
    X: np.ndarray, # (U, K, 6) features of the actions taken
    rewards: np.ndarray, # (U, K) per-slot rewards
    gamma: float, # discount in [0, 1]
    **kw, # clip, budget_terminal (see td_targets)
) -> np.ndarray:
    "On-policy TD(0) targets $r_k + \\gamma\\, q(s_{k+1}, a_{k+1})$ with $a_{k+1}$ the action actually taken"
    U, K, F = X.shape
    q_next = model.predict(X[:, 1:].reshape(-1, F)).reshape(U, K - 1) if gamma > 0 else np.zeros((U, K - 1))
    return td_targets(rewards, q_next, X[:, 1:, FEATURES.index("budget_to_go")], gamma, **kw)


def qlearning_targets(
    model: QModel, # current Q-model
    slates: np.ndarray, # (U, K) behaviour slates
    world: World, # items and the users who saw the slates
    rewards: np.ndarray, # (U, K) per-slot rewards
    gamma: float, # discount in [0, 1]
    prune: bool | None = None, # max over non-dominated items only; None = when the model is item-monotone
    **kw, # clip, budget_terminal (see td_targets)
) -> np.ndarray:
    "Off-policy targets $r_k + \\gamma \\max_{a \\notin \\text{slate}_{\\le k}} q(s_{k+1}, a)$"
    s = check_slates(slates, world)
    U, K = s.shape
    budget_to_go, cum_value = slate_states(s, world)
    q_max = np.zeros((U, K - 1))
    if gamma > 0:
        prune = is_item_monotone(model) if prune is None else prune
        placed = np.zeros((U, world.n_items), bool)
        for k in range(1, K):  # state before slot k: the max over that user's remaining items, all users at once
            placed[np.arange(U), s[:, k - 1]] = True
            cu, ci = candidate_items(world, placed, prune)
            q = model.predict(state_action_features(k, world.relevance[ci], world.cost[ci], budget_to_go[cu, k],
                                                    cum_value[cu, k]))
            q_max[:, k - 1] = np.maximum.reduceat(q, _group_starts(cu, U))
    return td_targets(rewards, q_max, budget_to_go[:, 1:], gamma, **kw)

# %% ../../nbs/12_agents.ipynb #a9ad3f23
@dataclass(frozen=True, eq=False)
class GreedyPolicy:
    "The greedy (ε = 0) slate builder of a fitted Q-model: `policy(world) -> slates (U, K)`"
    model: QModel # fitted Q-model
    prune: bool # score only non-dominated items (valid for item-monotone models)
    threads: int | None = 1 # OpenMP/BLAS threads while scoring; None = leave as is

    def __call__(self, world: World) -> np.ndarray:
        with _limit_threads(self.threads):
            return _build_slates(_check_world(world), self.model, 0.0, None, self.prune)[0]


_AGENT_KEY = 0x6167656E  # SeedSequence spawn key of the agents' draws ("agen"), apart from items and users


@dataclass(frozen=True, eq=False)
class AgentResult:
    "A trained agent: its greedy policy, in-sample training history and wall time."
    algorithm: str # "bandit", "sarsa" or "qlearning"
    gamma: float # discount
    seed: int # the run's seed
    policy: GreedyPolicy # world -> greedy slates (U, K)
    train_history: pd.DataFrame # one row per iteration/round: in-sample ε-greedy expected_play, ess, play_rate, loss, seconds
    seconds: float # wall time of the run
    world: World # the training world (its items are reused when `evaluate` gets only budgets)

    @property
    def train(self) -> dict[str, float]:
        "In-sample (training users, ε-greedy) numbers of the last iteration"
        last = self.train_history.iloc[-1]
        return {k: float(last[k]) for k in ("expected_play", "ess", "play_rate")}

    def evaluate(self,
                 world_or_users: World | np.ndarray, # evaluation world, or budgets (U,) of fresh users of the training items
                 seed: int | None = None, # seed of the sampled play-rate; None = derived from the run's seed
                 ) -> dict[str, float]:
        "Greedy slates on `world_or_users`: mean closed-form play, effective slate size, sampled play-rate"
        w = world_or_users if isinstance(world_or_users, World) else self.world.with_budgets(world_or_users)
        slates = self.policy(w)
        ss = np.random.SeedSequence(self.seed if seed is None else seed, spawn_key=(_AGENT_KEY, 2))
        return dict(expected_play=float(expected_play(slates, w).mean()),
                    ess=float(effective_slate_size(slates, w).mean()),
                    play_rate=simulate(slates, w, np.random.default_rng(ss)).play_rate)

    def __repr__(self) -> str:
        t = self.train
        return (f"AgentResult({self.algorithm}, gamma={self.gamma:g}, seed={self.seed}, {len(self.train_history)} "
                f"iterations, in-sample expected play={t['expected_play']:.4f}, ess={t['ess']:.2f}, "
                f"{self.seconds:.2f}s)")

# %% ../../nbs/12_agents.ipynb #1637108e
def _check_common(world, gamma, seed, reward) -> float:
    _check_world(world)
    gamma = _check_unit(gamma, "gamma")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    if reward not in REWARDS: raise ValueError(f"reward must be one of {REWARDS}; got {reward!r}")
    return gamma


def _history_row(i: int, slates: np.ndarray, world: World, play_rate: float, loss: float, seconds: float) -> dict:
    return dict(iteration=i, expected_play=float(expected_play(slates, world).mean()),
                ess=float(effective_slate_size(slates, world).mean()), play_rate=play_rate, loss=loss,
                seconds=seconds)


def run_sarsa(
    world: World, # training world: items and the users the agent learns on
    gamma: float, # discount in [0, 1]; 0 = contextual bandit
    iterations: int = 6, # generate -> simulate -> fit cycles
    epsilon: float = 0.1, # exploration rate of the training slates
    seed: int = 0, # every draw of the run (exploration, choices, model) derives from it
    model: str | QModel | None = None, # Q-model preset or object (copied); None = DEFAULT_Q_MODEL
    memory: int | None = None, # fit on the transitions of the last `memory` iterations; None = all
    reward: str = "sampled", # one of REWARDS: "sampled" (the spec), "expected" or "marginal"
    clip: bool = True, # clip bootstrapped values to [0, 1]
    budget_terminal: bool = True, # value 0 after the budget is exhausted
    prune: bool | None = None, # score only non-dominated items; None = when the model is item-monotone
    threads: int | None = 1, # OpenMP/BLAS threads of the model; None = leave as is
) -> AgentResult:
    "On-policy TD(0) control: ε-greedy slates from the current Q-model, targets $r + \\gamma q(s', a')$, refit"
    t0 = time.perf_counter()
    gamma = _check_common(world, gamma, seed, reward)
    epsilon, iterations = _check_unit(epsilon, "epsilon"), _check_count(iterations, "iterations")
    if memory is not None: memory = _check_count(memory, "memory")
    ss_draws, ss_model = np.random.SeedSequence(seed, spawn_key=(_AGENT_KEY, 0)).spawn(2)
    rng = np.random.default_rng(ss_draws)
    q = make_q_model(model, random_state=int(ss_model.generate_state(1)[0] >> 1))
    prune = is_item_monotone(q) if prune is None else prune
    data, history = [], []
    with _limit_threads(threads):
        for i in range(iterations):
            t = time.perf_counter()
            slates, X = _build_slates(world, q if i else None, epsilon, rng, prune)  # no model yet: random slates
            r, play_rate = slot_rewards(slates, world, rng, reward)
            data = (data + [(X, r)])[-memory:] if memory else data + [(X, r)]
            Xs, rs = np.concatenate([d[0] for d in data]), np.concatenate([d[1] for d in data])
            y = sarsa_targets(q, Xs, rs, gamma, clip=clip, budget_terminal=budget_terminal) if i else rs
            q.fit(Xs.reshape(-1, len(FEATURES)), y.ravel())
            loss = float(np.mean((q.predict(X.reshape(-1, len(FEATURES))) - y[-len(X):].ravel()) ** 2))
            history.append(_history_row(i, slates, world, play_rate, loss, time.perf_counter() - t))
    return AgentResult("bandit" if gamma == 0 else "sarsa", gamma, int(seed), GreedyPolicy(q, prune, threads),
                       pd.DataFrame(history), time.perf_counter() - t0, world)


def run_bandit(
    world: World, # training world
    **kw, # any run_sarsa argument except gamma
) -> AgentResult:
    "Contextual bandit: SARSA with $\\gamma = 0$ (each slot's item is fitted to its own reward)"
    if "gamma" in kw: raise ValueError("run_bandit fixes gamma = 0; use run_sarsa for another discount")
    return run_sarsa(world, 0.0, **kw)

# %% ../../nbs/12_agents.ipynb #4898cdbe
def run_qlearning(
    world: World, # training world: items and the users the agent learns on
    gamma: float, # discount in [0, 1]
    rounds: int = 6, # fitted-Q iterations
    seed: int = 0, # every draw of the run (behaviour slates, choices, model) derives from it
    model: str | QModel | None = None, # Q-model preset or object (copied); None = DEFAULT_Q_MODEL
    n_behaviour: int = 1, # uniformly random behaviour slates per user
    epsilon: float = 0.1, # exploration rate of the in-sample slates reported in train_history
    reward: str = "sampled", # one of REWARDS: "sampled" (the spec), "expected" or "marginal"
    clip: bool = True, # clip bootstrapped values to [0, 1]
    budget_terminal: bool = True, # value 0 after the budget is exhausted
    prune: bool | None = None, # max over non-dominated items only; None = when the model is item-monotone
    threads: int | None = 1, # OpenMP/BLAS threads of the model; None = leave as is
) -> AgentResult:
    "Off-policy fitted Q iteration on random slates: targets $r + \\gamma \\max_{a'} q(s', a')$, refit each round"
    t0 = time.perf_counter()
    gamma = _check_common(world, gamma, seed, reward)
    rounds, n_behaviour = _check_count(rounds, "rounds"), _check_count(n_behaviour, "n_behaviour")
    epsilon = _check_unit(epsilon, "epsilon")
    ss_draws, ss_model = np.random.SeedSequence(seed, spawn_key=(_AGENT_KEY, 1)).spawn(2)
    rng = np.random.default_rng(ss_draws)
    q = make_q_model(model, random_state=int(ss_model.generate_state(1)[0] >> 1))
    prune = is_item_monotone(q) if prune is None else prune
    batches = []
    for _ in range(n_behaviour):
        slates, X = _build_slates(world, None, 1.0, rng, prune)
        batches.append((slates, X, slot_rewards(slates, world, rng, reward)[0]))
    X = np.concatenate([b[1] for b in batches]).reshape(-1, len(FEATURES))
    history = []
    with _limit_threads(threads):
        for i in range(rounds):
            t = time.perf_counter()
            y = np.concatenate([qlearning_targets(q, s, world, r, gamma, prune, clip=clip,
                                                  budget_terminal=budget_terminal) if i else r
                                for s, _, r in batches]).ravel()  # round 0: no model yet, fit the rewards
            q.fit(X, y)
            loss = float(np.mean((q.predict(X) - y) ** 2))
            slates = _build_slates(world, q, epsilon, rng, prune)[0]
            _, play_rate = slot_rewards(slates, world, rng, reward)
            history.append(_history_row(i, slates, world, play_rate, loss, time.perf_counter() - t))
    return AgentResult("qlearning", gamma, int(seed), GreedyPolicy(q, prune, threads), pd.DataFrame(history),
                       time.perf_counter() - t0, world)
