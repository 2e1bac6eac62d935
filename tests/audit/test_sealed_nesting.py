"""Audit values under a sealed name (issue 17) are encrypted whatever their own keys: a sync conflict's entry
names a phone's three values under "phone"; entries stored before read back as they are."""

import json

from fupin.audit.chain import opened_changes, stored_changes


def test_values_nested_under_a_sealed_name_are_encrypted_and_open_again():
    changes = {
        "phone": {"base": "", "theirs_kept": "13900000001", "mine": "13900000002"},
        "record": [None, "成员"],
    }
    stored = stored_changes(changes)
    text = json.dumps(stored)
    assert "13900000001" not in text and "13900000002" not in text
    assert opened_changes(stored) == changes


def test_an_entry_stored_plain_before_reads_as_it_is():
    old = {"phone": {"theirs_kept": "13900000001"}}
    assert opened_changes(old) == old
