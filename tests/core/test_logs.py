"""Logs hold no ID number, phone or bank account (issue 17): every handler the settings configure masks them
in a record's message, arguments and traceback (fupin.core.logs)."""

import io
import logging

import pytest

from fupin.core.logs import MaskPersonalData, mask_personal
from tests import factories

ID = "36072219990102002X"
PHONE = "13912345678"
ACCOUNT = "6217001234567890123"


def test_masks_id_numbers_phones_and_accounts_in_text():
    text = mask_personal(f"查找 {ID}，电话 {PHONE}，账号 {ACCOUNT}；户编号 3607221000010001 年份 2025")
    assert ID not in text and PHONE not in text and ACCOUNT not in text
    assert "360722********002X" in text and "139****5678" in text and text.count("0123") == 1
    assert ID.lower() not in mask_personal(ID.lower())


@pytest.fixture
def written():
    """What the handlers of the configured loggers write, read back."""
    out = io.StringIO()
    handlers = {
        h
        for name in ("", "django", "django.request", "django.server", "fupin")
        for logger in [logging.getLogger(name)]
        for h in logger.handlers
    }
    assert handlers
    olds = [(h, h.setStream(out)) for h in handlers if isinstance(h, logging.StreamHandler)]
    yield out
    for h, old in olds:
        h.setStream(old)


def test_every_configured_handler_masks(settings):
    assert all("personal_data" in h.get("filters", []) for h in settings.LOGGING["handlers"].values())
    for name in ("", "django", "django.server"):
        # the root's own handler (pytest adds its capturing ones beside it)
        handlers = [h for h in logging.getLogger(name).handlers if type(h) is logging.StreamHandler]
        assert handlers and all(any(isinstance(f, MaskPersonalData) for f in h.filters) for h in handlers), (
            name
        )


def test_a_record_with_arguments_and_a_traceback_is_masked(written):
    log = logging.getLogger("fupin.test")
    try:
        raise ValueError(f"duplicate id_number {ID}")
    except ValueError:
        log.exception("import row %s phone %s", ID, PHONE)
    logging.getLogger("django.server").warning('"GET /households/?q=%s HTTP/1.1" 200', ID)
    text = written.getvalue()
    assert "import row" in text and "ValueError" in text and "/households/?q=" in text
    assert ID not in text and PHONE not in text


@pytest.mark.django_db
def test_a_not_found_path_with_an_id_number_is_logged_masked(client, written, users):
    number = factories.id_number()
    client.force_login(users["clerk"])
    assert client.get(f"/no-such-page/{number}/").status_code == 404
    text = written.getvalue()
    assert "no-such-page" in text and number not in text
