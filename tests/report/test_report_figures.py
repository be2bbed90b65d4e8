"""Every figure's text fits its canvas (issue 19, papercut 2): with one narrow heatmap panel the
title used to be cut off on both sides. A PNG whose text is cut off has ink on its border: the
outermost pixel rows and columns of a fitting figure are all background (white)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from artificial_needles.report.plots import Grid, Panel, Series, heatmap_figure, line_figure

TITLE = "kv_retrieval_multisubkey: accuracy by length x depth"
LABEL = "mistralai/Mistral-7B-Instruct-v0.1-needles-seed0"


def _border_ink(png: bytes) -> dict[str, int]:
    from matplotlib import image

    rgb = image.imread(io.BytesIO(png), format="png")[..., :3]
    ink = (rgb < 0.99).any(axis=-1)
    edges = {"top": ink[0], "bottom": ink[-1], "left": ink[:, 0], "right": ink[:, -1]}
    return {side: int(np.count_nonzero(px)) for side, px in edges.items() if px.any()}


@pytest.mark.parametrize("cols", [1, 2, 3])
@pytest.mark.parametrize("panels", [1, 2])
def test_heatmap_text_fits(cols, panels):
    grid = Grid(LABEL, ["1024"], [str(100 * c // cols) for c in range(cols)], [[50.0] * cols])
    png = heatmap_figure(TITLE, [grid] * panels)
    assert _border_ink(png) == {}


@pytest.mark.parametrize("panels", [1, 3])
def test_line_figure_text_fits(panels):
    series = [Series(LABEL, [1.0, 5.0], [40.0, 60.0], [1.0, None])]
    panel = Panel("mdqa_20docs: accuracy by gold position (one long title)", "gold position",
                  "best subspan EM (points)", series)  # fmt: skip
    png = line_figure(TITLE, [panel] * panels, [LABEL])
    assert _border_ink(png) == {}
