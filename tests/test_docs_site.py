"Build the docs site offline once, serve it on 127.0.0.1 and read it in headless Chromium as a new reader would."
import functools, http.server, json, os, re, shutil, subprocess, sys, threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
MATH_PAGES = ["index.html", "02_gap.html", "reports/gap_targeting.html"]  # pages whose prose has formulas
RAW_TEX = re.compile(r"\\(?:sum|frac|text|mathrm|operatorname|lvert|begin)\b|\$\$|\$[^$\n]{0,80}\\[A-Za-z]")


def _chromium_or_skip():
    if Path(CHROMIUM).exists(): return CHROMIUM
    if os.environ.get("CI"): pytest.fail("chromium is not installed; ./run test installs Debian's package when run as root")
    pytest.skip("chromium not installed (apt-get install chromium)")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


@pytest.fixture(scope="module")
def build():
    "One build per test session: its console output and the served site's URL"
    p = subprocess.run([sys.executable, "tools/build_docs.py"], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, f"docs build failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(ROOT / "_docs")))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield {"log": p.stdout + p.stderr, "url": f"http://127.0.0.1:{srv.server_address[1]}"}
    srv.shutdown()


@pytest.fixture(scope="module")
def browser(build):
    exe = _chromium_or_skip()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=FLAGS)
        page = b.new_page(viewport={"width": 1300, "height": 1000})
        offsite = []  # the site must work offline: nothing may be fetched from another host
        page.on("request", lambda r: offsite.append(r.url) if not r.url.startswith((build["url"], "data:")) else None)
        page.offsite = offsite
        yield page
        b.close()


def _open(page, url: str):
    page.goto(url)
    page.wait_for_load_state("load")
    return page


def _library_titles() -> list[str]:
    "Page titles the nav must show: the `# Title` of every library notebook"
    titles = []
    for nb in sorted((ROOT / "nbs").glob("[0-9]*.ipynb")):
        for c in json.loads(nb.read_text())["cells"]:
            src = "".join(c["source"])
            if c["cell_type"] == "markdown" and src.startswith("# "):
                titles.append(src.splitlines()[0][2:].strip()); break
    return titles


def _reports() -> list[str]:
    stems = sorted(p.stem for p in (ROOT / "reports").glob("*.ipynb"))
    assert stems, "no executed reports under reports/ (run ./run reports)"
    return stems


def _figures(page) -> list[int]:
    return page.eval_on_selector_all("article img", "els => els.map(e => e.naturalWidth)")


def _math_state(page) -> dict:
    return page.evaluate("""() => ({
        katex: document.querySelectorAll('article .katex').length,
        errors: document.querySelectorAll('.katex-error').length,
        pending: document.querySelectorAll('span.vmt-math:not([data-typeset])').length,
        text: document.body.innerText,
        prose: (() => { const a = document.querySelector('article').cloneNode(true);
                        a.querySelectorAll('pre, code, .katex, .jp-InputArea').forEach(e => e.remove());
                        return a.textContent; })()})""")


# JS: layout facts of a report page as a reader sees it
REPORT_LAYOUT = """() => {
  const art = document.querySelector('article');
  const shown = e => e.checkVisibility({visibilityProperty: true, opacityProperty: true}) && e.getClientRects().length > 0;
  const h1s = [...document.querySelectorAll('h1')].filter(shown);
  const h1 = art.querySelector('h1');
  const blocks = [...art.querySelectorAll('p, blockquote, img, table, pre, ul, ol, h2, h3, summary, .jp-CodeCell .jp-InputArea')]
    .filter(e => h1 && (h1.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING) && shown(e)
                 && (e.tagName === 'IMG' || e.innerText.trim() !== ''));
  const first = blocks[0];
  const inputs = [...art.querySelectorAll('.jp-CodeCell .jp-InputArea')];
  return {
    h1: h1s.length, text: art.innerText, toc: (document.querySelector('.md-sidebar--secondary') || {innerText: ''}).innerText,
    first: first ? {tag: first.tagName, code: !!first.closest('.jp-CodeCell .jp-InputArea, details.vmt-code, pre')} : null,
    inputs: inputs.length, inputsShown: inputs.filter(shown).length,
    toggles: art.querySelectorAll('details.vmt-code').length,
    paramRows: art.querySelectorAll('table.vmt-params tbody tr').length,
    firstH2: ((art.querySelector('h2') || {innerText: ''}).innerText || '').trim(),
  };
}"""


def test_build_is_quiet(build):
    "No Quarto install attempt (nbdev-proc-nbs tried sudo) and no traceback in the build output"
    bad = [l for l in build["log"].splitlines() if re.search(r"quarto|sudo", l, re.I)]
    assert not bad, f"build printed Quarto/sudo lines: {bad}"
    assert "Traceback" not in build["log"], build["log"][-2000:]
    assert "[docs]" in build["log"] and "top-level pages" in build["log"]


def test_home_and_nav(build, browser):
    page = _open(browser, f"{build['url']}/index.html")
    assert "value_model_tuning" in page.title()
    nav = " ".join(page.locator("nav").all_inner_texts())
    for title in _library_titles() + ["Reports", "Command line examples"]:
        assert title in nav, f"nav lacks {title!r}"
    assert any(w > 0 for w in _figures(page)), "home page shows no rendered figure"
    body = page.inner_text("article")
    for residue in ("#|", "{target=", "skip_exec", "default_exp"):
        assert residue not in body, f"{residue!r} leaked into the home page"
    assert not browser.offsite, f"pages fetched from other hosts: {sorted(set(browser.offsite))[:5]}"


@pytest.mark.parametrize("path", MATH_PAGES)
def test_math_rendered(build, browser, path):
    "Formulas are typeset by the vendored KaTeX; no raw TeX is left in the visible text"
    st = _math_state(_open(browser, f"{build['url']}/{path}"))
    assert st["katex"] > 0, f"{path}: no rendered math"
    assert st["errors"] == 0 and st["pending"] == 0, f"{path}: {st['errors']} KaTeX errors, {st['pending']} untypeset"
    raw = RAW_TEX.findall(st["text"])
    assert not raw, f"{path}: raw TeX visible: {raw[:5]}"


def test_every_formula_typesets(build, browser):
    "Every page: each formula the builder marked is typeset without a KaTeX error"
    pages = [p.relative_to(ROOT / "_docs").as_posix() for p in (ROOT / "_docs").rglob("*.html") if p.name != "404.html"]
    for path in sorted(pages):
        st = _math_state(_open(browser, f"{build['url']}/{path}"))
        assert st["errors"] == 0 and st["pending"] == 0, f"{path}: {st['errors']} KaTeX errors, {st['pending']} untypeset"
        raw = RAW_TEX.findall(st["prose"])
        assert not raw, f"{path}: raw TeX in the prose: {raw[:5]}"


@pytest.mark.parametrize("stem", _reports() if (ROOT / "reports").exists() else [])
def test_report_page_leads_with_findings(build, browser, stem):
    page = _open(browser, f"{build['url']}/reports/{stem}.html")
    lay = page.evaluate(REPORT_LAYOUT)
    assert "skip_exec" not in lay["text"] and "skip_exec" not in lay["toc"], f"{stem}: frontmatter residue"
    assert lay["h1"] == 1, f"{stem}: {lay['h1']} visible h1 titles"
    assert lay["first"] and not lay["first"]["code"], f"{stem}: first thing after the title is code ({lay['first']})"
    assert lay["inputs"] > 0 and lay["toggles"] > 0, f"{stem}: no collapsed code cells"
    assert lay["inputsShown"] == 0, f"{stem}: {lay['inputsShown']} code cells visible before any toggle is opened"
    assert lay["paramRows"] > 0, f"{stem}: no parameters table"
    concludes = re.search(r"^##\s+(?:\d+\.\s*)?(Closing note|Conclusions|Which defect produced|Checks \(asserted\))",
                          (ROOT / "reports" / f"{stem}.ipynb").read_text().replace("\\n", "\n").replace('"', "\n"), re.M)
    if concludes:  # its concluding section is copied to the top: the reader meets the results before the method
        assert lay["firstH2"].startswith("Findings"), f"{stem}: first section is {lay['firstH2']!r}, not the findings"
    assert "{target=" not in lay["text"] and "#|" not in lay["text"], f"directive residue on {stem}"
    assert any(w > 0 for w in _figures(page)), f"report page {stem} shows no rendered figure"
    page.locator("details.vmt-code > summary").first.click()  # the toggle opens the code
    assert page.evaluate(REPORT_LAYOUT)["inputsShown"] >= 1


def test_command_line_page(build, browser):
    "The CLI page shows commands with the output they printed at build time"
    page = _open(browser, f"{build['url']}/cli_examples.html")
    text = page.inner_text("article")
    assert "Command line examples" in text
    for expected in ("$ vmt --help", "usage: vmt", "{gap,regret,evaluate}", "$ vmt gap --help", "--targets TARGETS",
                     "$ vmt evaluate --predictions predictions.csv", "converged=True", "max |fraction - target|",
                     "p_watch_and_follow", '"weights"'):
        assert expected in text, f"CLI page lacks {expected!r}"
    # the tuned weights shown are the ones the run wrote (not the sample model's)
    tuned = json.loads(re.search(r"^\{\n\s*\"weights\".*?^\}", text, re.S | re.M).group(0))
    sample = json.loads((ROOT / "nbs" / "data" / "sample_vm.json").read_text())
    assert tuned["weights"].keys() == sample["weights"].keys() and tuned["weights"] != sample["weights"]
    assert tuned["tuning"]["converged"] is True and tuned["tuning"]["max_error"] <= tuned["tuning"]["tol"]


# API pages document methods, not only classes: the `show_doc` heading of each (nbdev renders patched methods
# and explicit show_doc cells as "Class.method" headings)
METHOD_DOCS = {
    "10a_gym_env.html": ["SlateEnv", "SlateEnv.reset", "SlateEnv.step", "SlateEnv.render", "SlateEnv.action_masks"],
    "12_agents.html": ["AgentResult", "AgentResult.evaluate", "AgentResult.predicted_returns",
                       "AgentResult.calibration", "AgentResult.train", "AgentResult.iterations", "StopRule.__call__"],
}


# JS: each doc heading's text and whether the element right after it is a signature block (`def name(...)`)
DOC_HEADINGS = r"""() => [...document.querySelectorAll('article h2, article h3, article h4')].map(h => {
  const next = h.nextElementSibling;
  return {text: h.innerText.replace(/\u00b6/g, '').trim(),
          signature: !!next && next.matches('div.highlight') && /\b(def|class)\b/.test(next.innerText)};
})"""


@pytest.mark.parametrize("path", sorted(METHOD_DOCS))
def test_api_pages_document_methods(build, browser, path):
    heads = _open(browser, f"{build['url']}/{path}").evaluate(DOC_HEADINGS)
    by_text = {h["text"]: h["signature"] for h in heads}
    missing = [m for m in METHOD_DOCS[path] if m not in by_text]
    assert not missing, f"{path}: no doc heading for {missing}; headings: {[h['text'] for h in heads][:40]}"
    bare = [m for m in METHOD_DOCS[path] if not by_text[m]]
    assert not bare, f"{path}: headings without a signature block after them: {bare}"


# ---- the builder's text transforms, without a browser
sys.path.insert(0, str(ROOT / "tools"))
from build_docs import parameter_rows, parameters_table, protect_math  # noqa: E402


def test_protect_math_leaves_code_and_prices():
    out = protect_math("score $\\sum_t w_t$, costs $5 and $10, `$x$` in code\n```\n$y$\n```\n$$\n|S| \\le K\n$$")
    assert out.count('class="vmt-math"') == 2 and 'data-display="1"' in out
    assert "costs $5 and $10" in out and "`$x$`" in out and "\n$y$\n" in out
    assert "_" not in out.split("costs")[0] and "|" not in out.split("```")[-1]  # markdown specials are entities


def test_parameters_table_from_cell():
    src = 'out_dir = "reports"  # where results go\n# number of seeds\nn_seeds = 7\ngrid = {"a": [1,\n  2]}  # two lines\n'
    assert parameter_rows(src) == [("out_dir", '"reports"', "where results go"), ("n_seeds", "7", "number of seeds"),
                                   ("grid", '{"a": [1,\n  2]}', "two lines")]
    t = parameters_table(src, "# Parameters\nn_seeds = 100\n")
    assert t.count("<tr>") == 4 and "<code>100</code><br><small>default <code>7</code>" in t
