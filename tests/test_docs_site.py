"Build the docs site offline, serve it on 127.0.0.1 and look at it in headless Chromium."
import functools, http.server, json, os, shutil, subprocess, sys, threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


def _chromium_or_skip():
    if Path(CHROMIUM).exists(): return CHROMIUM
    if os.environ.get("CI"): pytest.fail("chromium is not installed; ./run test installs Debian's package when run as root")
    pytest.skip("chromium not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def site():
    subprocess.run([sys.executable, "tools/build_docs.py"], cwd=ROOT, check=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(ROOT / "_docs"))
    handler.log_message = lambda *a, **k: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def _library_titles() -> list[str]:
    "Page titles the nav must show: the `# Title` of every library notebook"
    titles = []
    for nb in sorted((ROOT / "nbs").glob("[0-9]*.ipynb")):
        for c in json.loads(nb.read_text())["cells"]:
            src = "".join(c["source"])
            if c["cell_type"] == "markdown" and src.startswith("# "):
                titles.append(src.splitlines()[0][2:].strip()); break
    return titles


def _figures(page) -> list[int]:
    return page.eval_on_selector_all("article img", "els => els.map(e => e.naturalWidth)")


def test_site_in_browser(site, tmp_path):
    exe = _chromium_or_skip()
    from playwright.sync_api import sync_playwright
    reports = sorted((ROOT / "reports").glob("*.ipynb"))
    assert reports, "no executed reports under reports/ (run ./run reports)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(f"{site}/index.html")
        assert "value_model_tuning" in page.title()
        nav = " ".join(page.locator("nav").all_inner_texts())
        for title in _library_titles():
            assert title in nav, f"nav lacks {title!r}"
        assert "Reports" in nav
        home_figs = _figures(page)
        page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
        body = page.inner_text("article")
        for residue in ("#|", "{target=", "skip_exec", "default_exp"):
            assert residue not in body, f"{residue!r} leaked into the home page"

        report_figs, texts = {}, {}
        for nb in reports:  # every executed report is a page with at least one rendered figure
            page.goto(f"{site}/reports/{nb.stem}.html")
            report_figs[nb.stem] = _figures(page)
            texts[nb.stem] = page.inner_text("article")
            page.screenshot(path=str(tmp_path / f"report_{nb.stem}.png"), full_page=False)
        browser.close()
    assert any(w > 0 for w in home_figs), "home page shows no rendered figure"
    for stem, figs in report_figs.items():
        assert any(w > 0 for w in figs), f"report page {stem} shows no rendered figure"
        assert "{target=" not in texts[stem] and "#|" not in texts[stem], f"directive residue on {stem}"
    assert (tmp_path / "home.png").stat().st_size > 10_000
