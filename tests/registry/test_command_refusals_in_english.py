"""Issue 15: the registry's import command refused in plain Chinese f-strings; with English active it now
answers in English (and in Chinese by default)."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation


def test_the_import_commands_refusal_reads_in_the_active_language(tmp_path):
    missing = tmp_path / "none.xlsx"
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("import", str(missing))
    assert str(refused.value) == f"The file does not exist: {missing}"
    with translation.override("zh-hans"), pytest.raises(CommandError) as refused:
        call_command("import", str(missing))
    assert str(refused.value) == f"文件不存在：{missing}"
