"""Cross-machine noise of Part A: what is bit-identical on one machine, and how far results move on "another CPU".

Another CPU is emulated on this one. Each variant runs in a fresh subprocess, because OpenBLAS picks its kernel
and thread count when it loads and numpy picks its SIMD loops when it is imported:

  reference / again   this machine's defaults, run twice: same parameters -> the same bytes?
  SkylakeX, Haswell, Sandybridge, Prescott   OPENBLAS_CORETYPE: AVX-512, AVX2+FMA, AVX, SSE3 BLAS kernels
  1 thread, 2 threads   OPENBLAS_NUM_THREADS / OMP_NUM_THREADS
  numpy SSE4.2          NPY_DISABLE_CPU_FEATURES: numpy's own loops without AVX2/AVX-512 (SSE4.2 baseline)

For each variant, against the reference: the inputs (seed data, the README example's synthetic predictions),
the products P·w, the gap fractions at fixed weights, and the answers of the tuners on the README example and
on the seed data (max |Δ| of fractions and weights, the error reached), and regret minimization's objective.
Usage: `python bench/bench_cross_machine.py [--csv out.csv]` (x86-64 only for the OPENBLAS_CORETYPE variants).
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

_CHILD = r"""
import sys, warnings
import numpy as np
from value_model_tuning.gap import _blas1, gap_fractions, tune_gap_targets
from value_model_tuning.regret import minimize_regret
from value_model_tuning.value_model import ValueModel, seed_dataset, synthetic_predictions
warnings.simplefilter("ignore")
TAU = [0.3, 0.5, 0.07, 0.07, 0.06]
P = seed_dataset()
preds = synthetic_predictions(n_requests=500, n_items=100, n_tasks=4, seed=0)
vm = ValueModel.from_dict({"weights": {"p_click": 1.0, "p_watch_30s": 2.0, "p_like": 5.0, "p_share": 20.0}})
targets = {"p_click": 0.4, "p_watch_30s": 0.3, "p_like": 0.2, "p_share": 0.1}
out = {"seed_data": P.values, "synthetic": preds.values}
w = np.full(5, 0.2)
W = np.vstack([w, np.where(np.eye(5, dtype=bool), 0.0, w)])
with _blas1(): out["Pw"] = P.values.reshape(-1, 5) @ W.T  # the products every gap evaluation starts from
out["fractions_fixed_w"] = gap_fractions(preds, vm, k=20)
runs = {"readme_controller": lambda: tune_gap_targets(preds, targets, k=20, initial=vm),
        "seed_controller": lambda: tune_gap_targets(P, TAU, method="controller"),
        "seed_slsqp_alone": lambda: tune_gap_targets(P, TAU, method="slsqp", n_starts=1, fallback=None),
        "seed_slsqp_net": lambda: tune_gap_targets(P, TAU, method="slsqp"),
        "seed_de": lambda: tune_gap_targets(P, TAU, method="de")}
for name, f in runs.items():
    r = f()
    out[f"{name}_w"], out[f"{name}_f"], out[f"{name}_err"] = r.weights, r.fractions, np.array(r.max_error)
    out[f"{name}_method"] = np.array(r.method)
rr = minimize_regret(P, TAU, seed=0)
out["regret_w"], out["regret_obj"] = rr.weights, np.array(rr.objective)
np.savez(sys.argv[1], **out)
"""

VARIANTS = {
    "reference": {}, "again": {},
    "SkylakeX": {"OPENBLAS_CORETYPE": "SkylakeX"}, "Haswell": {"OPENBLAS_CORETYPE": "Haswell"},
    "Sandybridge": {"OPENBLAS_CORETYPE": "Sandybridge"}, "Prescott": {"OPENBLAS_CORETYPE": "Prescott"},
    "1 thread": {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
    "2 threads": {"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"},
    "numpy SSE4.2": {"NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"},
}
_CLEAR = ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "NPY_DISABLE_CPU_FEATURES")


def run_variant(env_extra: dict, path: Path) -> dict:
    "Run the child in a fresh process with `env_extra` on top of a cleaned environment; its arrays"
    env = {k: v for k, v in os.environ.items() if k not in _CLEAR} | env_extra
    res = subprocess.run([sys.executable, "-c", _CHILD, str(path)], env=env, capture_output=True, text=True)
    if res.returncode != 0: raise RuntimeError(res.stderr[-2000:])
    with np.load(path) as z: return {k: z[k] for k in z.files}


def compare(ref: dict, other: dict) -> dict:
    "The quantities of one variant against the reference"
    d = lambda k: float(np.abs(other[k] - ref[k]).max())
    same = lambda k: other[k].tobytes() == ref[k].tobytes()
    row = {"seed data bit-identical": same("seed_data"), "synthetic predictions bit-identical": same("synthetic"),
           "synthetic predictions max |Δ|": d("synthetic"),
           "P·w products differing (share)": float(np.mean(other["Pw"] != ref["Pw"])), "P·w max |Δ|": d("Pw"),
           "fractions at fixed weights max |Δ|": d("fractions_fixed_w")}
    for name, label in (("readme_controller", "README example, auto"), ("seed_controller", "seed data, controller"),
                        ("seed_slsqp_alone", "seed data, SLSQP alone"), ("seed_slsqp_net", "seed data, SLSQP + net"),
                        ("seed_de", "seed data, DE")):
        row[f"{label}: max |Δ fraction|"] = d(f"{name}_f")
        row[f"{label}: max |Δ weight|"] = d(f"{name}_w")
        row[f"{label}: max error"] = float(other[f"{name}_err"])
    row["seed data, SLSQP + net: answer by"] = str(other["seed_slsqp_net_method"])
    row["regret minimization: |Δ objective|"] = d("regret_obj")
    row["regret minimization: objective"] = float(other["regret_obj"])
    row["all outputs bit-identical"] = all(same(k) for k in ref)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", help="also write the table (quantity x variant) to this CSV file")
    args, _ = ap.parse_known_args()  # under bench/run_all.py, argv holds run_all's own selection
    variants = dict(VARIANTS)
    if platform.machine().lower() not in ("x86_64", "amd64"):
        variants = {k: v for k, v in variants.items() if "OPENBLAS_CORETYPE" not in v and "NPY_DISABLE_CPU_FEATURES" not in v}
        print(f"[{platform.machine()}] x86 kernel variants skipped")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        res = {name: run_variant(env, Path(tmp) / f"{i}.npz") for i, (name, env) in enumerate(variants.items())}
    table = pd.DataFrame({name: compare(res["reference"], r) for name, r in res.items() if name != "reference"})
    table.index.name = "quantity (vs this machine's default run)"
    with pd.option_context("display.max_rows", None, "display.width", 250, "display.max_colwidth", 60,
                           "display.float_format", lambda x: f"{x:.3g}"):
        print(table.to_string())
    moved = [c for c in table.columns if c != "again"]
    num = table.loc[[i for i in table.index if "max |Δ" in i and "SLSQP" not in i and "DE" not in i], moved].astype(float)
    print(f"\nsame parameters, same process setup: all outputs bit-identical = {table.loc['all outputs bit-identical', 'again']}")
    print(f"across {len(moved)} kernel/thread/SIMD variants: inputs, products, fractions and the controller's answers move by "
          f"at most {num.to_numpy().max():.1e}; SLSQP alone reaches max error "
          f"{table.loc['seed data, SLSQP alone: max error', moved].min():.1e}–{table.loc['seed data, SLSQP alone: max error', moved].max():.1e} "
          f"(tol 1e-3), with its safety net {table.loc['seed data, SLSQP + net: max error', moved].min():.1e}–"
          f"{table.loc['seed data, SLSQP + net: max error', moved].max():.1e}; regret minimization's objective moves by "
          f"{table.loc['regret minimization: |Δ objective|', moved].max():.1e}  ({time.perf_counter() - t0:.0f} s)")
    if args.csv: table.to_csv(args.csv)


if __name__ == "__main__":
    main()
