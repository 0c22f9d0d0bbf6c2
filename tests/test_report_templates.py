"Every report template is a papermill template that nbdev-test skips, and has its own smoke test."
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "nbs" / "reports").glob("*.ipynb"))


@pytest.mark.parametrize("nb", TEMPLATES, ids=lambda p: p.stem)
def test_template_shape(nb: Path):
    cells = json.loads(nb.read_text())["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{nb.name}: needs exactly one cell tagged 'parameters' (found {len(tagged)})"
    src = "".join(tagged[0]["source"])
    assert "out_dir" in src and "images_dir" in src, f"{nb.name}: parameters must include out_dir and images_dir"
    fm = next(("".join(c["source"]) for c in cells if c["cell_type"] == "markdown"), "")
    assert fm.lstrip().startswith("---") and "skip_exec: true" in fm, f"{nb.name}: first markdown cell must be frontmatter with skip_exec: true"
    assert (ROOT / "tests" / f"test_report_{nb.stem}.py").exists(), f"{nb.name}: add tests/test_report_{nb.stem}.py (papermill smoke run)"
