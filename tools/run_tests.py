"""The whole test suite: sync checks, `nbdev-test`, pytest. Ends with `tests: N passed, M failed`."""
import hashlib, os, re, subprocess, sys, tempfile, time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"


def tree_digest() -> dict[str, str]:
    "sha1 of every notebook and exported module, so a no-op can be checked on a dirty tree too"
    files = sorted(NBS.rglob("*.ipynb")) + sorted((ROOT / "value_model_tuning").rglob("*.py"))
    return {str(f.relative_to(ROOT)): hashlib.sha1(f.read_bytes()).hexdigest()
            for f in files if ".ipynb_checkpoints" not in f.parts}


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    print(f"\n$ {' '.join(cmd)}", flush=True)
    return subprocess.run(cmd, cwd=ROOT, **kw)


def sync_check(cmd: str) -> bool:
    before = tree_digest()
    res = run([cmd])
    after = tree_digest()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if res.returncode != 0 or changed:
        print(f"FAILED: `{cmd}` is not a no-op (exit {res.returncode}); it changed: {changed}\n"
              f"Run `{cmd}` and commit the result.", flush=True)
        return False
    print(f"ok: `{cmd}` is a no-op", flush=True)
    return True


def nb_has_skip_exec(nb: Path) -> bool:
    import json
    cells = json.loads(nb.read_text())["cells"]
    for c in cells:
        if c["cell_type"] == "markdown" and "".join(c["source"]).lstrip().startswith("---"):
            return bool(re.search(r"^skip_exec:\s*true", "".join(c["source"]), re.M))
        if c["cell_type"] == "code" and not "".join(c["source"]).lstrip().startswith("#|"): break
    return False


def testable_notebooks() -> list[Path]:
    out = []
    for nb in sorted(NBS.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in nb.parts or nb.name.startswith("_"): continue
        if (nb.parent / ".notest").exists() or nb_has_skip_exec(nb): continue
        out.append(nb)
    return out


def nbdev_tests() -> tuple[int, int]:
    nbs = testable_notebooks()
    res = run(["nbdev-test", "--n-workers", "2", "--timing"], capture_output=True, text=True)
    sys.stdout.write(res.stdout); sys.stderr.write(res.stderr)
    failed = set(re.findall(r"^\t(\S+\.ipynb)\s*$", res.stderr, re.M))
    if res.returncode != 0 and not failed:  # crashed before naming notebooks
        return 0, max(len(nbs), 1)
    return len(nbs) - len(failed), len(failed)


def pytest_tests() -> tuple[int, int]:
    with tempfile.TemporaryDirectory() as d:
        xml = Path(d) / "junit.xml"
        res = run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadfile", f"--junitxml={xml}"])
        if res.returncode == 5:  # no tests collected: not a failure by itself
            return 0, 0
        if not xml.exists():
            return 0, 1
        suites = ET.parse(xml).getroot()
        suites = [suites] if suites.tag == "testsuite" else list(suites)
        total = sum(int(s.get("tests", 0)) for s in suites)
        bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
        skipped = sum(int(s.get("skipped", 0)) for s in suites)
        if res.returncode not in (0, 1) and bad == 0:  # interrupted / internal error
            bad = 1
        return total - bad - skipped, bad


def main() -> int:
    t0 = time.time()
    os.environ.setdefault("MPLBACKEND", "Agg")
    passed = failed = 0
    for cmd in ("nbdev-clean", "nbdev-export"):
        ok = sync_check(cmd); passed += ok; failed += not ok
    p, f = nbdev_tests(); passed += p; failed += f
    print(f"nbdev-test: {p} notebooks passed, {f} failed", flush=True)
    p, f = pytest_tests(); passed += p; failed += f
    print(f"pytest: {p} passed, {f} failed", flush=True)
    print(f"(suite took {time.time() - t0:.0f} s)")
    print(f"tests: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
