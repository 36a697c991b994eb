"""Inline SVG charts: well-formed XML, escaped labels, accessible, and no crash on empty, single-point or all-zero
data."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from app.web import charts

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script> & "Café"'


def _parse(svg: Markup) -> ET.Element:
    assert isinstance(svg, Markup)
    root = ET.fromstring(str(svg))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label")
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}title").text
    assert "<script" not in str(svg)
    return root


def _classes(root: ET.Element) -> list[str]:
    return [c for el in root.iter() for c in (el.get("class") or "").split()]


def _numbers_are_finite(svg: Markup) -> None:
    for el in ET.fromstring(str(svg)).iter():
        for name, value in el.attrib.items():
            assert not re.search(r"\b(nan|inf)", value.lower()), (name, value)


def test_a_sparkline_with_its_baseline_draws_the_line_and_a_dashed_expected_line() -> None:
    svg = charts.sparkline([3, 5, 2, 40, 12], baseline=[4, 4, 4, 5, 5], label="Volume, Hôtel du Lac")
    root = _parse(svg)
    assert "chart-baseline" in _classes(root)
    baseline = next(el for el in root.iter() if "chart-baseline" in (el.get("class") or ""))
    assert baseline.get("stroke-dasharray")
    assert root.get("aria-label") == "Volume, Hôtel du Lac"


def test_a_sparkline_can_show_the_expected_range_as_a_band() -> None:
    root = _parse(charts.sparkline([1, 2, 3], band=([0, 1, 1], [2, 3, 4]), label="v"))
    assert "chart-band" in _classes(root)


@pytest.mark.parametrize(
    "values",
    [[], [7], [0, 0, 0], [None, None], [float("nan"), 3, float("inf")], [5, None, 6, 7]],
    ids=["empty", "single", "all-zero", "all-gaps", "non-finite", "gap"],
)
def test_sparkline_and_line_chart_survive_degenerate_series(values: list) -> None:
    for svg in (
        charts.sparkline(values, baseline=[1] * len(values), label="v"),
        charts.line_chart([("Brand", values)], labels=[str(i) for i in range(len(values))], title="t"),
        charts.line_chart([("Brand", values)], labels=[], baseline=values, band=(values, values), title="t"),
    ):
        _parse(svg)
        _numbers_are_finite(svg)


def test_a_single_point_is_marked_since_it_draws_no_line() -> None:
    root = _parse(charts.line_chart([("Brand", [4])], labels=["Mon"], title="t"))
    assert root.find(f".//{SVG}circle") is not None


def test_an_empty_line_chart_says_so_in_the_caller_s_words() -> None:
    svg = charts.line_chart([], labels=[], title="Volume", empty="Aucune donnée")
    _parse(svg)
    assert "Aucune donnée" in svg


def test_a_line_chart_has_y_ticks_x_labels_a_legend_and_the_baseline() -> None:
    svg = charts.line_chart(
        [("Hôtel du Lac", [10, 12, 30]), ("Concurrent", [5, 6, 4])],
        labels=["lun. 2", "mar. 3", "mer. 4"],
        baseline=[9, 9, 10],
        title="Mentions par jour",
        y_format=lambda v: f"{v:.0f}",
        baseline_label="Attendu",
    )
    root = _parse(svg)
    texts = [el.text for el in root.iter(f"{SVG}text")]
    assert {"lun. 2", "mar. 3", "mer. 4", "Hôtel du Lac", "Concurrent", "Attendu"} <= set(texts)
    assert "0" in texts and "30" in texts  # y ticks from zero to a round top
    classes = _classes(root)
    assert "chart-baseline" in classes and "chart-series-0" in classes and "chart-series-1" in classes


def test_every_label_is_escaped() -> None:
    svgs = [
        charts.sparkline([1, 2], label=EVIL),
        charts.line_chart([(EVIL, [1, 2])], labels=[EVIL, EVIL], title=EVIL, baseline_label=EVIL, baseline=[1, 1]),
        charts.stacked_bars([(EVIL, {"negative": 1, EVIL: 2})], keys=["negative", EVIL], title=EVIL),
        charts.share_bars([(EVIL, 3), ("b", 1)], title=EVIL, highlight=[EVIL]),
        charts.donut([(EVIL, 3), ("b", 1)], title=EVIL),
        charts.line_chart([], labels=[], title=EVIL, empty=EVIL),
    ]
    for svg in svgs:
        root = _parse(svg)
        assert "&lt;script&gt;" in svg
        assert any(EVIL in (el.text or "") for el in root.iter()) or root.get("aria-label") == EVIL


def test_stacked_bars_split_sentiment_per_brand_and_scale_to_the_largest_total() -> None:
    svg = charts.stacked_bars(
        [("Hôtel du Lac", {"negative": 30, "neutral": 50, "positive": 20}), ("Rival", {"negative": 5, "positive": 5})],
        keys=["negative", "neutral", "positive"],
        key_labels={"negative": "négatif", "neutral": "neutre", "positive": "positif"},
        title="Sentiment",
    )
    root = _parse(svg)
    rects = [el for el in root.iter(f"{SVG}rect") if el.find(f"{SVG}title") is not None]
    assert len(rects) == 5  # the rival has no neutral part
    widths = {el.find(f"{SVG}title").text: float(el.get("width")) for el in rects}
    assert widths["Hôtel du Lac · négatif: 30"] == pytest.approx(widths["Rival · négatif: 5"] * 6)
    assert "chart-key-negative" in _classes(root)
    assert {"négatif", "neutre", "positif"} <= {el.text for el in root.iter(f"{SVG}text")}


def test_stacked_bars_normalized_fill_every_bar_and_all_zero_rows_do_not_divide_by_zero() -> None:
    svg = charts.stacked_bars(
        [("a", {"negative": 1, "positive": 3}), ("b", {"negative": 0, "positive": 0})],
        keys=["negative", "positive"],
        title="t",
        normalize=True,
    )
    root = _parse(svg)
    _numbers_are_finite(svg)
    parts = [float(el.get("width")) for el in root.iter(f"{SVG}rect") if el.find(f"{SVG}title") is not None]
    assert len(parts) == 2 and sum(parts) > 0
    _parse(charts.stacked_bars([], keys=["negative"], title="t"))
    _parse(charts.stacked_bars([("a", {})], keys=["negative"], title="t"))


def test_share_bars_show_each_share_and_set_own_brands_apart() -> None:
    svg = charts.share_bars(
        [("Hôtel du Lac", 60), ("Rival", 30), ("Autre", 10)],
        title="Part de voix",
        highlight=["Hôtel du Lac"],
        percent_format=lambda s: f"{s * 100:.1f} %".replace(".", ","),
    )
    root = _parse(svg)
    texts = {el.text for el in root.iter(f"{SVG}text")}
    assert {"60,0 %", "30,0 %", "10,0 %"} <= texts
    classes = _classes(root)
    assert classes.count("chart-own") == 1 and classes.count("chart-other") == 2


@pytest.mark.parametrize("items", [[], [("a", 0), ("b", 0)], [("only", 5)]])
def test_shares_survive_nothing_zero_and_one_brand(items: list) -> None:
    for svg in (charts.share_bars(items, title="t"), charts.donut(items, title="t")):
        _parse(svg)
        _numbers_are_finite(svg)


def test_donut_slices_add_up_to_the_circle() -> None:
    root = _parse(charts.donut([("a", 1), ("b", 3)], title="t"))
    circles = list(root.iter(f"{SVG}circle"))
    lengths = [float(c.get("stroke-dasharray").split()[0]) for c in circles]
    r = float(circles[0].get("r"))
    assert sum(lengths) == pytest.approx(2 * math.pi * r, abs=0.05)


def test_nice_ticks_are_round_and_cover_the_range() -> None:
    assert charts.nice_ticks(0, 93) == [0, 25, 50, 75, 100]
    assert charts.nice_ticks(0, 0) == [0, 0.25, 0.5, 0.75, 1.0]
    assert charts.nice_ticks(0, 0.37)[-1] >= 0.37
    assert charts.nice_ticks(0, 1, min_step=1) == [0, 1]
    assert charts.nice_ticks(0, 10, min_step=1) == [0, 5, 10]
    ticks = charts.nice_ticks(-5, 5)
    assert ticks[0] <= -5 and ticks[-1] >= 5


def test_charts_draw_without_a_stylesheet_and_text_follows_the_page_colour() -> None:
    root = _parse(charts.line_chart([("a", [1, 2, 3])], labels=["x", "y", "z"], title="t"))
    assert all(el.get("fill") == "currentColor" for el in root.iter(f"{SVG}text"))
    assert all(el.get("stroke") for el in root.iter(f"{SVG}path"))
    assert root.find(f"{SVG}style") is None  # a strict CSP that blocks <style> changes nothing
