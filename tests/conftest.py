import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def run_report(tmp_path):
    "Run `nbs/reports/<name>.ipynb` through papermill with tiny parameters; outputs go under tmp_path."
    import papermill as pm

    def _run(name: str, **params):
        out_dir, images_dir = tmp_path / "reports", tmp_path / "images"
        for d in (out_dir / "figures", out_dir / "tables", images_dir): d.mkdir(parents=True, exist_ok=True)
        params = {"out_dir": str(out_dir), "images_dir": str(images_dir), **params}
        out = out_dir / f"{name}.ipynb"
        pm.execute_notebook(str(ROOT / "nbs" / "reports" / f"{name}.ipynb"), str(out), parameters=params,
                            kernel_name="python3", cwd=str(ROOT), progress_bar=False)
        return out_dir, images_dir
    return _run
