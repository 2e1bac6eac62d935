"""Issue 15: fupin.core's refusals (request texts, ID numbers, cursors, downloads, commands) were plain
Chinese, so an English page or API caller got Chinese; they go through gettext now."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from pydantic import TypeAdapter, ValidationError

from fupin.accounts.models import User
from fupin.core import idnumber
from fupin.core.api import bounded_text
from fupin.core.management.commands.serve import split_addrport
from fupin.core.pagination import CursorError, keyset_page


def _text_refusal(value: str) -> str:
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(bounded_text(3)).validate_python(value)
    return refused.value.errors()[0]["msg"]


def test_a_request_texts_refusals_read_in_the_pages_language():
    with translation.override("en"):
        assert _text_refusal("abcdef").endswith("At most 3 characters; 6 given")
        assert _text_refusal("a\x01").endswith("Cannot contain control characters")
    with translation.override("zh-hans"):
        assert _text_refusal("abcdef").endswith("最多3个字符，实际为6个")


def test_an_id_numbers_refusals_read_in_the_pages_language():
    with translation.override("en"), pytest.raises(idnumber.IdNumberError) as refused:
        idnumber.parse("36072\u200b1199001011234")
    assert str(refused.value).startswith("The ID number has invisible characters: ")
    with (
        translation.override("en"),
        pytest.raises(idnumber.IdNumberError, match="^An old ID number should be"),
    ):
        idnumber.upgrade_15("12345")
    with (
        translation.override("zh-hans"),
        pytest.raises(idnumber.IdNumberError, match="^旧身份证号应为15位数字$"),
    ):
        idnumber.upgrade_15("12345")


@pytest.mark.django_db
def test_a_bad_cursor_is_refused_in_the_pages_language():
    with translation.override("en"), pytest.raises(CursorError) as refused:
        keyset_page(User.objects.all(), cursor="forged", limit=10, where="users")
    assert refused.value.errors == {
        "cursor": "Invalid cursor: use the next value from the previous page's results"
    }


def test_a_commands_refusal_reads_in_english_when_english_is_asked_for():
    with translation.override("en"), pytest.raises(CommandError, match="^The address should be host:port"):
        split_addrport("nowhere")


def test_a_json_constant_and_a_demo_commands_refusal_read_in_english():
    """fupin/api.py's parser and fupin/demo's command refused in plain Chinese too."""
    from types import SimpleNamespace

    from fupin.api import DecimalJSONParser

    with translation.override("en"), pytest.raises(ValueError, match="^NaN is not allowed in JSON$"):
        DecimalJSONParser().parse_body(SimpleNamespace(body=b'{"wages": NaN}'))
    with translation.override("en"), pytest.raises(CommandError, match="^--persons must be a positive whole"):
        call_command("seed_demo", "--persons", "0")
