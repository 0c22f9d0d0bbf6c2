"""Append a hidden cell that shuts joblib's loky pool down at the end of a notebook (idempotent).

joblib keeps its loky workers alive for 300 s after the last task. Inside nbdev-test's process pool that
idle timeout holds the whole test run for five minutes, so notebooks that run joblib in parallel release
the pool explicitly in their last cell.
"""
import json, sys
from pathlib import Path

SRC = ("#| hide\n"
       "# joblib keeps idle loky workers for 300 s; release them so nbdev-test's worker can exit now\n"
       "from joblib.externals.loky import get_reusable_executor\n"
       "get_reusable_executor().shutdown(wait=True)")

for p in map(Path, sys.argv[1:]):
    nb = json.loads(p.read_text())
    if any("get_reusable_executor().shutdown" in "".join(c["source"]) for c in nb["cells"]): continue
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "lokyfree", "metadata": {},
                        "outputs": [], "source": SRC})
    p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    print(f"added loky cleanup to {p}")
