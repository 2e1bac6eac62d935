"""Resident ID numbers (GB 11643-1999): check character, birth date, sex; masking them, also inside free
text."""

import datetime
import re
import unicodedata
from functools import lru_cache
from operator import mul
from typing import NamedTuple

from django.utils import timezone
from django.utils.translation import gettext

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# The weighted sum is taken over the ASCII codes of the digits; this removes the "0" offsets.
_ASCII_OFFSET = ord("0") * sum(WEIGHTS)


EARLIEST_BIRTH_YEAR = 1890
# parse's messages, as templates: the field app's phone checks a number offline with these same words
MESSAGES = {
    "empty": "身份证号不能为空",
    "old": "这是15位旧身份证号，请先升级为18位",
    "length": "身份证号应为18位，实际为{length}位",
    "characters": "身份证号前17位须为数字，末位为数字或X",
    "no_date": "身份证号中的出生日期 {digits} 不存在",
    "odd_date": "身份证号中的出生日期 {date} 不合理",
    "check": "身份证号校验位错误：应为 {expected}",
}


class IdNumberError(ValueError):
    """The number is not a valid 18-character resident ID number; the message is Chinese."""


class IdNumber(NamedTuple):
    number: str
    birth_date: datetime.date
    sex: str  # "M" or "F", matching codes.Sex

    @property
    def address_code(self) -> str:
        return self.number[:6]


def check_character(first17: str) -> str:
    """The check character for 17 ASCII digits (the import calls this a million times: keep it lean)."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise IdNumberError(gettext("身份证号前17位须为数字"))
    return CHECK_CHARS[(sum(map(mul, first17.encode("ascii"), WEIGHTS)) - _ASCII_OFFSET) % 11]


# Characters that do not show, or look like nothing, in a cell: copied from web pages and chat apps
INVISIBLE_NAMES = {
    "\u200b": "零宽空格",
    "\u200c": "零宽非连接符",
    "\u200d": "零宽连接符",
    "\u2060": "字连接符",
    "\ufeff": "零宽不换行空格（BOM）",
    "\u00a0": "不换行空格",
    "\u3000": "全角空格",
    "\u00ad": "软连字符",
    "\u200e": "从左到右标记",
    "\u200f": "从右到左标记",
    "\u202a": "方向控制符",
    "\u202b": "方向控制符",
    "\u202c": "方向控制符",
    "\u202d": "方向控制符",
    "\u202e": "方向控制符",
    "\t": "制表符",
    "\n": "换行符",
    "\r": "回车符",
    " ": "空格",
}


def invisible_characters(text: str) -> str:
    """The characters of `text` that show as nothing (spaces, zero-width and control characters), named in
    Chinese with their code, joined by 、; "" when there are none.
    零宽空格（U+200B）、不换行空格（U+00A0）."""
    found = []
    for ch in dict.fromkeys(text):
        if ch in INVISIBLE_NAMES or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            name = INVISIBLE_NAMES.get(ch) or unicodedata.name(ch, "不可见字符").lower()
            found.append(f"{name}（U+{ord(ch):04X}）")
    return "、".join(found)


@lru_cache(maxsize=65536)
def _birth_date(digits: str) -> datetime.date:
    return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))


def parse(raw: str, *, today: datetime.date | None = None) -> IdNumber:
    """Validate an 18-character number and return it with its derived birth date and sex."""
    number = (raw or "").strip().upper()
    if not number:
        raise IdNumberError(MESSAGES["empty"])
    if not (number.isascii() and number.isalnum()) and (hidden := invisible_characters(number)):
        raise IdNumberError(
            gettext(
                "身份证号中有看不见的字符：%(hidden)s。请删除后重新输入（常见于从网页或聊天软件复制的号码）"
            )
            % {"hidden": hidden}
        )
    if len(number) != 18:
        if len(number) == 15:
            raise IdNumberError(MESSAGES["old"])
        raise IdNumberError(MESSAGES["length"].format(length=len(number)))
    first17 = number[:17]
    last = number[17]
    if not (first17.isascii() and first17.isdigit()) or not (last == "X" or "0" <= last <= "9"):
        raise IdNumberError(MESSAGES["characters"])
    try:
        birth = _birth_date(number[6:14])
    except ValueError:
        raise IdNumberError(MESSAGES["no_date"].format(digits=number[6:14])) from None
    today = today or timezone.localdate()
    if birth > today or birth.year < EARLIEST_BIRTH_YEAR:
        raise IdNumberError(MESSAGES["odd_date"].format(date=birth.isoformat()))
    expected = check_character(first17)
    if last != expected:
        raise IdNumberError(MESSAGES["check"].format(expected=expected))
    return IdNumber(number, birth, "M" if number[16] in "13579" else "F")


def upgrade_15(old: str) -> str:
    """Convert an old 15-digit number (YYMMDD birth date, 19xx) to the 18-digit form."""
    old = (old or "").strip()
    if len(old) != 15 or not (old.isascii() and old.isdigit()):
        raise IdNumberError(gettext("旧身份证号应为15位数字"))
    first17 = old[:6] + "19" + old[6:]
    number = first17 + check_character(first17)
    parse(number)
    return number


def mask(number: str | None) -> str:
    """Show the first 6 and last 4 characters only: 110105********002X."""
    if not number:
        return ""
    if len(number) <= 10:
        return number[:2] + "*" * max(len(number) - 2, 0)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


# An ID number written inside free text (a reason, a note): 17 digits and a check character.
_ID_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
# A full date in text: 1968-03-01, 1968/3/1, 19680301, 1968年3月1日.
_DATE_IN_TEXT = re.compile(
    r"(?<![0-9])((?:18|19|20)[0-9]{2})(?:[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[01][0-9][0-3][0-9]|年[0-9]{1,2}月[0-9]{1,2}日)(?![0-9])"
)


def mask_text(text: str, *, dates: bool = False) -> str:
    """Free text with any ID number in it masked; with `dates`, every full date cut to its year too.

    `dates` is for texts that name a person's birth date (a suspect record's finding: "出生日期 1968-03-01"),
    where a date is as good as the masked digits.
    """
    text = _ID_IN_TEXT.sub(lambda m: mask(m.group(0)), text)
    if dates:
        text = _DATE_IN_TEXT.sub(lambda m: m.group(1) + "年", text)
    return text
