"""Issue 18, finding 11: text colours in fupin.css keep a contrast of at least 4.5:1 (WCAG 2.1 AA) with the
backgrounds they are set on."""

import re
from pathlib import Path

import pytest

import fupin

CSS = (Path(fupin.__file__).parent / "static" / "fupin" / "fupin.css").read_text(encoding="utf-8")
VARS = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", CSS.split("}")[0]))


def _luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = [int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


# (text, background) as the stylesheet pairs them: page text, muted text, links, badges and messages, the top
# bar
PAIRS = [
    ("fg", "bg"),
    ("muted", "bg"),
    ("muted", "card"),
    ("muted", "grey-soft"),
    ("link", "bg"),
    ("link", "card"),
    ("ok", "ok-soft"),
    ("warn", "warn-soft"),
    ("bad", "bad-soft"),
    ("info", "info-soft"),
    ("accent", "card"),
    ("accent-dark", "accent-soft"),
]


@pytest.mark.parametrize("text, background", PAIRS)
def test_text_colours_keep_a_contrast_of_at_least_4_5(text, background):
    value = lambda name: VARS.get(name, "#fff" if name == "card" else None)  # noqa: E731
    assert contrast(value(text), value(background)) >= 4.5, (text, background)


def test_no_rule_sets_text_in_a_pale_grey():
    literal = re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})", CSS)
    assert [c for c in literal if c.lower() not in ("#fff", "#ffffff") and contrast(c, "#fff") < 4.5] == []
