"""Issue 18, finding 10: every string marked for translation has its English; the language menu names each
language in its own words; Django's "- Select an option -" never shows in the Chinese UI."""

import gettext
import json
import re
from pathlib import Path

import pytest
from django.db.models import fields
from django.urls import reverse
from django.utils import translation

import fupin

ROOT = Path(fupin.__file__).parent
MO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.mo"
STRING = r'"(?:[^"\\]|\\.)*"'
TAG = re.compile(r"{%\s*(?:translate|trans)\s+(" + STRING + r")(?:\s+context\s+(" + STRING + r"))?")
BLOCK = re.compile(r"{%\s*blocktrans(?:late)?\b([^%]*)%}(.*?){%\s*endblocktrans(?:late)?\s*%}", re.S)
CALL = re.compile(r"(?<![\w.])(?:_|gettext|gettext_lazy|gettext_noop)\(\s*((?:" + STRING + r"\s*)+)\)")


def _english() -> dict:
    with MO.open("rb") as handle:
        return gettext.GNUTranslations(handle)._catalog


def _marked():
    """(msgid, context, where) of every string the templates and the Python code mark for translation."""
    for path in ROOT.rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        for m in TAG.finditer(source):
            yield json.loads(m.group(1)), json.loads(m.group(2)) if m.group(2) else None, path
        for m in BLOCK.finditer(source):
            options, body = m.group(1), m.group(2)
            if "{% plural" in body:
                continue
            if "trimmed" in options:
                body = " ".join(line.strip() for line in body.strip().splitlines())
            body = re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", body.replace("%", "%%").replace("%%(", "%("))
            context = re.search(r"context\s+(" + STRING + ")", options)
            yield body, json.loads(context.group(1)) if context else None, path
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for m in CALL.finditer(path.read_text(encoding="utf-8")):
            yield "".join(json.loads(s) for s in re.findall(STRING, m.group(1))), None, path


def test_every_string_marked_for_translation_has_its_english():
    english = _english()
    missing = sorted(
        {
            f"{where.relative_to(ROOT)}: {msgid}"
            for msgid, context, where in _marked()
            if not english.get(f"{context}\x04{msgid}" if context else msgid)
        }
    )
    assert missing == [], "\n".join(missing[:50])


def test_the_language_menu_names_each_language_in_its_own_words(client, users):
    client.force_login(users["clerk"])
    page = client.get(reverse("registry:household_list")).content.decode()
    assert ">English</option>" in page and ">简体中文</option>" in page and "英语" not in page


@pytest.mark.parametrize("language, label", [("zh-hans", "请选择"), ("en", "Please choose")])
def test_an_empty_choice_reads_in_the_pages_language(language, label):
    with translation.override(language):
        assert str(fields.BLANK_CHOICE_LABEL) == label
