"""English is available for the change request pages: every Chinese string their templates translate, and
every label of their choices, has an English translation in fupin/locale/en (refresh it with makemessages, as
the .po's header says, and fill the new msgstr)."""

import re
from pathlib import Path

from django.utils import translation

import fupin.changes
from fupin.changes.models import ChangeAction, ChangeKind, ChangeStatus, JoinCause, LeaveCause

TEMPLATES = Path(fupin.changes.__file__).parent / "templates"
TRANSLATE = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])(.+?)\1""")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def test_the_change_request_pages_have_english_for_every_chinese_string():
    strings = {
        m.group(2)
        for path in TEMPLATES.rglob("*.html")
        for m in TRANSLATE.finditer(path.read_text(encoding="utf-8"))
    }
    assert len(strings) > 20  # the pattern finds the templates' strings
    with translation.override("zh-hans"):
        labels = {
            str(label)
            for choices in (ChangeKind, ChangeStatus, JoinCause, LeaveCause, ChangeAction.Action)
            for label in choices.labels
        }
    with translation.override("en"):
        missing = sorted(s for s in strings | labels if CHINESE.search(s) and translation.gettext(s) == s)
    assert not missing, f"no English for: {missing}"
