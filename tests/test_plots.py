"The RL grid figures on the grid's real schema (reports/tables/budget_rl_grid.csv) and the plotting import boundary."
import ast
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from value_model_tuning import plots

ROOT = Path(__file__).resolve().parents[1]
GRID = ROOT / "reports" / "tables" / "budget_rl_grid.csv"
PUBLISHED = ROOT.parent / "shared" / "data" / "published_qlearning_results.csv"  # shared/ sits beside the checkout
# modules that still draw their own figures (issue 11 moved Part A's into plots.py)
PLOTTING_PENDING_MOVE: set[str] = set()


def _imports_plotting(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        if any(n.split(".")[0] in ("matplotlib", "seaborn") for n in names): return True
    return False


def test_compute_modules_do_not_import_plotting():
    pkg = ROOT / "value_model_tuning"
    offenders = {p.relative_to(pkg).as_posix() for p in pkg.rglob("*.py") if p.name != "plots.py" and _imports_plotting(p)}
    assert offenders <= PLOTTING_PENDING_MOVE, f"compute modules importing matplotlib/seaborn: {offenders - PLOTTING_PENDING_MOVE}"
    # keep the exception list honest: once a module stops plotting, drop it from the list
    assert offenders == PLOTTING_PENDING_MOVE, f"no longer plotting, remove from PLOTTING_PENDING_MOVE: {PLOTTING_PENDING_MOVE - offenders}"


@pytest.fixture(scope="module")
def grid() -> pd.DataFrame:
    if not GRID.exists(): pytest.skip("reports/tables/budget_rl_grid.csv not generated (./run reports)")
    plots.set_theme()
    return pd.read_csv(GRID)


def _check_png(path: Path):
    with Image.open(path) as im:
        assert im.size[0] >= plots.MIN_WIDTH_PX, im.size
        assert im.info["dpi"][0] >= plots.DPI - 0.5, im.info


def _legend_sizes(fig) -> list[float]:
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
    assert legends, "figure has no legend"
    return [t.get_fontsize() for lg in legends for t in lg.get_texts()]


def test_vs_gamma_on_the_real_grid(grid, tmp_path):
    published = pd.read_csv(PUBLISHED) if PUBLISHED.exists() else None
    fig = plots.plot_vs_gamma(grid, "expected_play", published=published, published_y="play_rate",
                              ylabel="expected play-rate")
    panels = [ax for ax in fig.axes if ax.get_title().startswith("b =")]
    assert len(panels) == grid.budget.nunique()
    agents = list(dict.fromkeys(grid.loc[grid.gamma.notna(), "algorithm"]))
    for ax, b in zip(panels, sorted(grid.budget.unique())):
        lines = [l for l in ax.lines if l.get_marker() == "o"]
        assert len(lines) == len(agents)  # every agent in every facet
        for alg, line in zip(agents, lines):
            ref = grid[(grid.algorithm == alg) & (grid.budget == b)].groupby("gamma").expected_play.mean()
            np.testing.assert_allclose(np.asarray(line.get_ydata(), float), ref.to_numpy(), rtol=0, atol=1e-12)
        if published is not None and np.isclose(published.budget, b).any():
            dia = [l for l in ax.lines if l.get_marker() == "D"]
            assert len(dia) == 1
            pub = published[np.isclose(published.budget, b)].groupby("gamma").play_rate.mean()
            np.testing.assert_allclose(np.asarray(dia[0].get_ydata(), float), pub.to_numpy(), atol=1e-12)
    assert min(_legend_sizes(fig)) >= plots.LEGEND_PT
    _check_png(plots.save_figure(fig, tmp_path / "play.png"))


def test_oracle_gap_on_the_real_grid(grid, tmp_path):
    fig = plots.plot_oracle_gap(grid)
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    assert len(fig.axes) == 1 + grid.loc[grid.gamma.notna(), "algorithm"].nunique()
    assert min(_legend_sizes(fig)) >= plots.LEGEND_PT
    _check_png(plots.save_figure(fig, tmp_path / "gap.png"))


def test_delta_plot_symlog_with_published(tmp_path):
    plots.set_theme()
    d = pd.DataFrame({"budget": [100.0, 200, 300], "delta": [-5.0, 0.2, 0.1], "ci_low": [-50.0, 0.0, -0.1],
                      "ci_high": [1.0, 0.4, 0.3], "algorithm": "qlearning"})
    pub = pd.DataFrame({"budget": [100.0, 200], "delta": [6.8, 2.0], "algorithm": "qlearning"})
    ax = plots.delta_plot(d, hue="algorithm", published=pub, yscale="symlog")
    assert ax.get_yscale() == "symlog"
    assert [l.get_marker() for l in ax.lines].count("D") == 1
    assert min(t.get_fontsize() for t in ax.get_legend().get_texts()) >= plots.LEGEND_PT
    _check_png(plots.save_figure(ax.figure, tmp_path / "delta.png"))


def test_options_are_keyword_only_and_a_wrong_type_is_a_type_error():
    d = pd.DataFrame({"budget": [100.0, 200], "delta": [1.0, 2.0], "ci_low": [0.0, 1.0], "ci_high": [2.0, 3.0]})
    with pytest.raises(TypeError, match="positional"):
        plots.delta_plot(d, "budget")  # x is an option after the data: keyword-only
    with pytest.raises(TypeError, match="yscale must be one of 'linear', 'symlog'; got int 1"):
        plots.delta_plot(d, yscale=1)
    with pytest.raises(ValueError, match="yscale must be one of 'linear', 'symlog'; got 'log'"):
        plots.delta_plot(d, yscale="log")
    with pytest.raises(ValueError, match=r"df lacks column\(s\) \['nope'\]"):
        plots.lineplot_ci(d, "budget", "nope")
    matplotlib.pyplot.close("all")
