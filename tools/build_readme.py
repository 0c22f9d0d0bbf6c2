"""Write README.md from nbs/index.ipynb (the docs home), so the two never drift apart.

Markdown cells are copied verbatim; code cells become ```python blocks followed by their printed output;
cells marked `#| hide` are left out. `--check` exits 1 if README.md differs from what would be written.
"""
import argparse, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INDEX, README = ROOT / "nbs" / "index.ipynb", ROOT / "README.md"
HEADER = "<!-- generated from nbs/index.ipynb by `python tools/build_readme.py`; edit the notebook, not this file -->\n\n"


def cell_text(cell: dict) -> str | None:
    src = "".join(cell["source"]).rstrip()
    if cell["cell_type"] == "markdown": return src
    if cell["cell_type"] != "code" or re.search(r"^\s*#\|\s*hide\b", src, re.M): return None
    code = re.sub(r"^\s*#\|.*\n?", "", src, flags=re.M).strip("\n")
    out, md = "", []
    for o in cell.get("outputs", []):
        data = o.get("data", {})
        if o.get("output_type") == "stream": out += "".join(o.get("text", ""))
        elif "text/markdown" in data: md.append("".join(data["text/markdown"]).strip())  # computed prose: verbatim
        elif o.get("output_type") == "execute_result" and "text/plain" in data: out += "".join(data["text/plain"]) + "\n"
    echo = not re.search(r"^\s*#\|\s*echo:\s*false", src, re.M)
    parts = [f"```python\n{code}\n```"] if echo else []
    if out.strip(): parts.append(f"```\n{out.rstrip()}\n```")
    return "\n\n".join(parts + md) or None


def render() -> str:
    cells = json.loads(INDEX.read_text())["cells"]
    parts = [t for c in cells if (t := cell_text(c))]
    return HEADER + "\n\n".join(parts) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    text = render()
    if args.check:
        if README.read_text() != text:
            print("README.md is out of date with nbs/index.ipynb: run `python tools/build_readme.py`")
            return 1
        return 0
    README.write_text(text)
    print(f"wrote {README.relative_to(ROOT)} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
