"""Issue 18, finding 10: every string marked for translation has its English; the language menu names each
language in its own words; Django's "- Select an option -" never shows in the Chinese UI. Issue 15: the
refusals of funds, assistance, the importer and the other areas in REFUSING go through gettext, so English
pages show them in English."""

import ast
import gettext
import json
import re
from pathlib import Path

import pytest
from django.db.models import fields
from django.urls import reverse
from django.utils import translation

import fupin
from fupin.funds import funding
from fupin.funds.services import FundsError

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


# Issue 15: a refusal's message is what the English UI shows beside the field. The areas whose services still
# raised plain Chinese strings, so that English pages showed Chinese; each message must go through gettext.
REFUSING = (
    "funds",
    "assistance",
    "registry",
    "monitoring",
    "procedures",
    "changes",
    "declarations",
    "regions",
    "reports",
    "audit",
    "access",
    "field",
    "accounts",
    "backup",
    "core",
    "demo",
    "disclosure",
    "subscriptions",
    "api.py",
)
# fupin.core's key handling and encrypted columns: their messages already carry their English beside the
# Chinese, and some are raised while the settings load, before translation can be set up.
BILINGUAL = {"core/crypto.py", "core/crypto_columns.py", "core/fields.py", "core/sealed_files.py"}
CJK = re.compile(r"[\u4e00-\u9fff]")
TRANSLATING = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "pgettext"}
# helpers whose Chinese label argument is put into a translated message
LABELLED = {"positive_fen", "ensure_not_future"}


def _called(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _untranslated(node: ast.AST):
    """The Chinese string literals (and f-strings) in `node` outside a gettext call."""
    if isinstance(node, ast.Call) and _called(node) in TRANSLATING:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and CJK.search(node.value):
        yield node
        return
    if isinstance(node, ast.JoinedStr):
        if any(isinstance(v, ast.Constant) and CJK.search(v.value) for v in node.values):
            yield node
        return
    for child in ast.iter_child_nodes(node):
        yield from _untranslated(child)


def _messages(tree: ast.AST):
    """What a module raises, puts into `errors[...]`, hands to a helper as a message's label, or names as a
    background run's `missing` message."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            yield node.exc
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == "errors"
            for t in node.targets
        ):
            yield node.value
        elif isinstance(node, ast.Call):
            if _called(node) in LABELLED:
                yield from node.args
            yield from (k.value for k in node.keywords if k.arg == "missing")  # fupin.core.work.managed


def test_refusals_are_marked_for_translation():
    found = []
    for folder in REFUSING:
        for path in [ROOT / folder] if folder.endswith(".py") else sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts or str(path.relative_to(ROOT)) in BILINGUAL:
                continue
            for message in _messages(ast.parse(path.read_text(encoding="utf-8"))):
                found += [f"{path.relative_to(ROOT)}:{n.lineno}" for n in _untranslated(message)]
    assert found == [], "\n".join(found)


def test_a_funds_refusal_reads_in_english_on_an_english_page(users):
    county = users["county"]
    with translation.override("en"), pytest.raises(FundsError) as refused:
        funding.create_fund(
            by=county, county_code=county.region_id, year=2025, source="bogus", name="", amount_fen=0
        )
    assert refused.value.errors == {
        "source": "Please choose the fund's source",
        "name": "Please enter the fund's name",
        "amount": "The amount received must be above 0",
    }
