"README.md is generated from nbs/index.ipynb (whose examples nbdev-test executes), so they cannot drift."
import subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_matches_index():
    res = subprocess.run([sys.executable, "tools/build_readme.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_readme_images_exist():
    import re
    for img in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (ROOT / "README.md").read_text()):
        assert (ROOT / img).exists(), f"README shows {img}, which does not exist"
