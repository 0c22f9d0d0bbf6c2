"""Run every report template in nbs/reports/ through papermill into reports/ (figures, tables beside it)."""
import argparse, os, sys, time
from pathlib import Path

import papermill as pm

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "nbs" / "reports"

# `./run reports-full`: the published notebook's whole grid; the report picks Dask when DASK_SCHEDULER is set.
FULL = {
    "budget_rl": dict(n_seeds=100, flat_seeds=100, backend="dask"),
    "published_ablation": dict(budgets=[100, 150, 200, 250, 300, 400, 500], backend="dask"),
}


def templates(only: list[str] | None) -> list[Path]:
    found = sorted(p for p in TEMPLATES.glob("*.ipynb") if not p.name.startswith("_"))
    if only:
        missing = set(only) - {p.stem for p in found}
        if missing: sys.exit(f"unknown report(s): {sorted(missing)}; have {[p.stem for p in found]}")
        found = [p for p in found if p.stem in only]
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", nargs="*", help="report names (stems) to run")
    ap.add_argument("--full", action="store_true", help="full published grid where a report has one")
    ap.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="override a parameter of every selected report (value parsed as YAML)")
    args = ap.parse_args()
    import yaml
    (ROOT / "reports" / "figures").mkdir(parents=True, exist_ok=True)
    (ROOT / "reports" / "tables").mkdir(parents=True, exist_ok=True)
    (ROOT / "images").mkdir(exist_ok=True)
    # `./run` exports MPLBACKEND=Agg for scripts; a kernel that inherits it draws figures without showing them,
    # so the executed reports (and the docs pages made from them) would have no inline figures.
    os.environ.pop("MPLBACKEND", None)
    timings = []
    for nb in templates(args.only):
        params = dict(FULL.get(nb.stem, {})) if args.full else {}
        params.update({k: yaml.safe_load(v) for k, v in args.param})
        out = ROOT / "reports" / nb.name
        print(f"[reports] {nb.stem} {params or ''}", flush=True)
        t0 = time.time()
        pm.execute_notebook(str(nb), str(out), parameters=params, kernel_name="python3",
                            cwd=str(ROOT), progress_bar=False, log_output=False)
        timings.append((nb.stem, time.time() - t0))
        print(f"[reports] {nb.stem}: {timings[-1][1]:.0f} s -> {out.relative_to(ROOT)}", flush=True)
    total = sum(t for _, t in timings)
    print(f"[reports] {len(timings)} reports in {total:.0f} s: " + ", ".join(f"{n} {t:.0f}s" for n, t in timings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
