"""The SVG bar chart (booking/charts.py): valid XML, accessible, every label and value."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from booking.charts import MAX_LABEL, Bar, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def texts(root: ET.Element, css_class: str) -> list[str]:
    return [e.text or "" for e in root.iter(f"{SVG}text") if e.get("class") == css_class]


def test_a_chart_names_every_bar_and_value() -> None:
    bars = [
        Bar("AWO Region Hannover", 12, "12"),
        Bar('Caritas & <Diakonie> "quoted"', 3, "3"),
        Bar("العربية", 0, "0"),
    ]
    markup = bar_chart("chart-org", "Sessions by organisation", "Nov 2026.", bars, "Nothing.")
    root = ET.fromstring(markup)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("direction") == "ltr"
    assert root.get("aria-labelledby") == "chart-org-title chart-org-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Sessions by organisation"
    assert title.get("id") == "chart-org-title"
    assert desc is not None and desc.get("id") == "chart-org-desc"
    for bar in bars:
        assert f"{bar.label}: {bar.text}" in (desc.text or "")
    assert texts(root, "chart-label") == [bar.label for bar in bars]
    assert texts(root, "chart-value") == ["12", "3", "0"]
    assert "<Diakonie>" not in markup  # escaped, not markup
    widths = [float(r.get("width", "-1")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] > widths[1] > widths[2] == 0
    assert "style=" not in markup  # the Content-Security-Policy forbids inline styles


def test_small_values_still_show_a_bar() -> None:
    root = ET.fromstring(
        bar_chart("c", "T", "D", [Bar("a", 10_000, "10.000"), Bar("b", 1, "1")], "-")
    )
    assert [float(r.get("width", "0")) >= 2 for r in root.iter(f"{SVG}rect")] == [True, True]


def test_the_empty_chart_says_so() -> None:
    root = ET.fromstring(bar_chart("empty", "Sessions", "June.", [], "No sessions in this period."))
    assert list(root.iter(f"{SVG}rect")) == []
    assert texts(root, "chart-empty") == ["No sessions in this period."]
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "No sessions in this period." in (desc.text or "")


def test_long_labels_are_shortened_in_the_drawing_only() -> None:
    label = "Landsmannschaft der Deutschen aus Russland, Landesgruppe Niedersachsen"
    root = ET.fromstring(bar_chart("long", "T", "D", [Bar(label, 5, "5")], "-"))
    (drawn,) = texts(root, "chart-label")
    assert len(drawn) == MAX_LABEL and drawn.endswith("…")
    group_titles = [t.text for g in root.iter(f"{SVG}g") for t in g.iter(f"{SVG}title")]
    assert group_titles == [f"{label}: 5"]


@given(
    st.lists(
        st.tuples(st.text(max_size=60), st.integers(0, 10**6)),
        max_size=12,
    )
)
def test_any_labels_give_well_formed_svg(pairs: list[tuple[str, int]]) -> None:
    bars = [Bar(label, value, str(value)) for label, value in pairs]
    root = ET.fromstring(bar_chart("any", "Title <&>", "Description", bars, "Empty"))
    assert len(list(root.iter(f"{SVG}rect"))) == len(bars)
    assert texts(root, "chart-value") == [str(value) for _label, value in pairs]
