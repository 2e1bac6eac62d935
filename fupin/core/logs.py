"""Log records without personal data (issue 17: "never … in logs"): a logging filter that masks every ID
number, mobile phone and bank-account-like run of digits in a record's message, arguments and traceback before
any handler writes it. Django logs a request's path on a 404 or 500, the development server its whole request
line, an exception's text may quote a value: all pass through here (settings.LOGGING puts it on every
handler).

Masking follows the pages (fupin.core.idnumber): an ID number keeps its first six and last four characters, a
phone its first three and last four, a longer run of digits (a bank account, a card) its last four."""

import logging
import re

from .idnumber import mask, mask_phone

_ID = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_ACCOUNT = re.compile(
    r"(?<![0-9])[0-9]{12,16}(?:[0-9]{3})?(?![0-9])"
)  # 12–19 digits: bank accounts and cards


def mask_personal(text: str) -> str:
    text = _ID.sub(lambda m: mask(m.group(0)), text)
    text = _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
    return _ACCOUNT.sub(lambda m: "*" * (len(m.group(0)) - 4) + m.group(0)[-4:], text)


class MaskPersonalData(logging.Filter):
    """Masks personal numbers in the record as it will be written (message with its arguments, and
    traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return True
        record.msg, record.args = mask_personal(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal(record.stack_info)
        return True
