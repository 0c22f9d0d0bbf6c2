"Property tests of value_model_tuning.checks against independent references (scikit-learn's Interval, joblib, numpy)."
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from value_model_tuning.checks import (STREAMS, check_array, check_int, check_n_jobs, check_real, check_seed,
                                       check_task_vector, check_unit, stream_seed)

settings.register_profile("checks", deadline=None, max_examples=200)
settings.load_profile("checks")

MESSAGE = re.compile(r"^(\S+) must be .+; got .+$")  # the one wording

ints = st.integers(min_value=-10**6, max_value=10**6)
bounds = st.one_of(st.none(), ints)
reals = st.floats(allow_nan=True, allow_infinity=True)
not_numbers = st.one_of(st.booleans(), st.text(max_size=3), st.lists(ints, max_size=2), st.none(),
                        st.dictionaries(st.text(max_size=2), ints, max_size=1))


def _closed(lo_open: bool, hi_open: bool) -> str:
    return {(False, False): "both", (False, True): "left", (True, False): "right", (True, True): "neither"}[lo_open, hi_open]


def _outcome(f, *args, **kw):
    "('ok', value) or (exception type, message)"
    try: return "ok", f(*args, **kw)
    except (TypeError, ValueError) as e: return type(e), str(e)


@given(x=st.one_of(ints, st.builds(np.int64, ints)), lo=bounds, hi=bounds)
def test_check_int_agrees_with_sklearn_interval(x, lo, hi):
    from sklearn.utils._param_validation import Interval
    from numbers import Integral
    if lo is not None and hi is not None and lo > hi: lo, hi = hi, lo
    if lo is not None and lo == hi: want = x == lo  # sklearn refuses a one-point interval
    else: want = Interval(Integral, lo, hi, closed=_closed(lo is None, hi is None)).is_satisfied_by(x)
    kind, got = _outcome(check_int, x, "n", lo=lo, hi=hi)
    assert (kind == "ok") == want
    if want: assert got == x and type(got) is int
    else: assert kind is ValueError and MESSAGE.match(got) and got.startswith("n must be an int")


@given(x=reals, lo=st.one_of(st.none(), st.floats(-1e6, 1e6)), hi=st.one_of(st.none(), st.floats(-1e6, 1e6)),
       lo_open=st.booleans(), hi_open=st.booleans())
def test_check_real_agrees_with_sklearn_interval(x, lo, hi, lo_open, hi_open):
    "finite=True is scikit-learn's Interval(Real, ...): NaN and ±inf out, the bounds' closedness as given"
    from sklearn.utils._param_validation import Interval
    from numbers import Real
    if lo is not None and hi is not None and lo > hi: lo, hi = hi, lo
    if lo is not None and lo == hi: want = x == lo and not (lo_open or hi_open)  # sklearn refuses a one-point interval
    else: want = Interval(Real, lo, hi, closed=_closed(lo is None or lo_open, hi is None or hi_open)).is_satisfied_by(x)
    kind, got = _outcome(check_real, x, "x", lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open)
    assert (kind == "ok") == want
    if kind == "ok": assert got == x
    else: assert kind is ValueError and MESSAGE.match(got)


@given(x=reals)
def test_check_real_infinite_allowed(x):
    kind, got = _outcome(check_real, x, "time_limit", lo=0, lo_open=True, finite=False)
    assert (kind == "ok") == (x > 0)  # NaN > 0 is False: refused; inf accepted


@given(x=not_numbers)
def test_wrong_types_raise_type_error(x):
    for f, args in [(check_int, ("n",)), (check_real, ("x",)), (check_unit, ("gamma",)), (check_seed, ())]:
        if x is None and f is check_seed: continue
        kind, msg = _outcome(f, x, *args)
        assert kind is TypeError, (f.__name__, x)
        assert MESSAGE.match(msg), msg


@given(n=st.integers(-64, 64).filter(lambda n: n != 0))
def test_check_n_jobs_resolves_like_joblib(n):
    from joblib import effective_n_jobs
    assert check_n_jobs(n) == effective_n_jobs(n)


@given(data=st.data(), tasks=st.lists(st.text("abcdefgh", min_size=1, max_size=4), min_size=1, max_size=6, unique=True))
def test_task_vector_dict_in_any_order_equals_task_order(data, tasks):
    vals = data.draw(st.lists(st.floats(0, 10), min_size=len(tasks), max_size=len(tasks)))
    order = data.draw(st.permutations(range(len(tasks))))
    as_dict = {tasks[i]: vals[i] for i in order}
    np.testing.assert_array_equal(check_task_vector(as_dict, "w", tasks), np.array(vals))
    extra = data.draw(st.text("xyz", min_size=1, max_size=3))
    with pytest.raises(ValueError, match=re.escape(f"unknown task(s) [{extra!r}]")):
        check_task_vector({**as_dict, extra: 1.0}, "w", tasks)
    gone = tasks[order[0]]
    with pytest.raises(ValueError, match=re.escape(f"miss task(s) [{gone!r}]")):
        check_task_vector({t: v for t, v in as_dict.items() if t != gone}, "w", tasks)


@given(a=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                    elements=st.one_of(st.floats(-2, 2), st.sampled_from([np.nan, np.inf, -np.inf]))),
       lo=st.one_of(st.none(), st.floats(-1, 1)), finite=st.booleans())
def test_check_array_names_the_first_bad_entry(a, lo, finite):
    "The fast path (min/max) and the reported index agree with a brute-force scan in C order"
    bad = [i for i in np.ndindex(a.shape)
           if math.isnan(a[i]) or (finite and math.isinf(a[i])) or (lo is not None and a[i] < lo)]
    kind, got = _outcome(check_array, a, "x", lo=lo, finite=finite)
    if not bad:
        assert kind == "ok" and got is a
    else:
        assert kind is ValueError and got.endswith(f"at index {bad[0]}"), (got, bad[0])


@given(seed=st.integers(0, 2**64), stream=st.sampled_from(sorted(STREAMS)), sub=st.lists(st.integers(0, 2**32), max_size=2))
def test_stream_seed_is_the_hand_built_sequence(seed, stream, sub):
    ref = np.random.SeedSequence(seed, spawn_key=STREAMS[stream] + tuple(sub))
    got = stream_seed(seed, stream, *sub)
    assert got.spawn_key == ref.spawn_key
    assert got.generate_state(4).tolist() == ref.generate_state(4).tolist()
    assert [c.generate_state(2).tolist() for c in got.spawn(3)] == [c.generate_state(2).tolist() for c in ref.spawn(3)]
