"""The suspect rules that read a member's ID number: the same person in two households, a number failing GB
11643, a birth date or sex disagreeing with the number.

ID numbers are encrypted at rest (fupin.core.crypto), so the database cannot take them apart: these rules
read the members they look at (the sweep's screened candidates, or every member in scope) with their
numbers decrypted, decide in Python, and give the sweep the same INSERT … SELECT rows as the other rules
(rules._finding_rows) over the members that fire. A finding's text shows the number masked
(110105********002X): it is stored, and nothing stored holds a whole number in plain text.
"""

import re
from collections.abc import Iterable

from django.db.models import Case, CharField, F, QuerySet, Value, When

from fupin.core.idnumber import CHECK_CHARS, WEIGHTS, mask
from fupin.regions.models import in_region
from fupin.registry import codes
from fupin.registry.models import Member

ID_PATTERN = r"^[0-9]{17}[0-9X]$"
ODD_DIGITS = ["1", "3", "5", "7", "9"]  # the 17th digit of a man's ID number is odd
_WELL_FORMED = re.compile("[0-9]{17}[0-9X]")
# A finding's own text for at most this many members of one rule; beyond, one text without the number.
MAX_OWN_TEXTS = 2000


def well_formed(number: str) -> bool:
    """ID_PATTERN: 17 ASCII digits, then a digit or an upper-case X."""
    return bool(_WELL_FORMED.fullmatch(number or ""))


def check_right(number: str) -> bool:
    """A well-formed number's check character is GB 11643's."""
    # strict=False: the 17 digits the weights cover; the 18th is the check character
    weighted = sum(int(d) * w for d, w in zip(number, WEIGHTS, strict=False))
    return CHECK_CHARS[weighted % 11] == number[17]


def person_key(number: str) -> str:
    """The person behind an ID number: the first 17 characters, an old 15-digit number widened with 19."""
    if len(number) == 18:
        return number[:17]
    if len(number) == 15:
        return number[:6] + "19" + number[6:15]
    return number


def _members(prefix: str, candidates, *fields: str) -> Iterable[tuple]:
    qs = Member.objects.all()
    if prefix:
        qs = qs.filter(in_region("village_code", prefix))
    if candidates is not None:
        qs = qs.filter(pk__in=candidates)
    return qs.values_list("pk", *fields).iterator(chunk_size=5000)


def _findings(texts: dict[int, str], fallback: str) -> QuerySet:
    """The sweep's rows (rules._finding_rows) for the members that fire, each with its text."""
    from .rules import _finding_rows, _text

    if len(texts) <= MAX_OWN_TEXTS:
        whens = [When(pk=pk, then=Value(text)) for pk, text in texts.items()]
        detail = Case(*whens, default=Value(""), output_field=CharField()) if whens else Value("")
    else:
        detail = _text("成员", F("name"), fallback)
    return _finding_rows(
        Member.objects.filter(pk__in=list(texts)),
        household="household_id",
        member="id",
        village="village_code",
        detail=detail,
    )


def suspect_same_person(year: int, prefix: str = "", candidates=None) -> QuerySet:
    """The same person (same ID number up to its check character, or an old 15-digit number) in two
    households.

    Every member of the registry is read (their numbers decrypted) unless the sweep's screen gave the
    candidates: the screen (screening._same_person) keeps every member whose number another household's
    member shares, both sides of each pair, so the candidates alone hold all the pairs (17 s against a
    fraction of a second over 2,000,000 members)."""
    people: dict[str, list[tuple[int, int, str]]] = {}
    for _pk, household_id, number, id_number in _members(
        "", candidates, "household_id", "household__number", "id_number"
    ):
        people.setdefault(person_key(id_number or ""), []).append((household_id, _pk, number))
    shared = {key: sorted(rows) for key, rows in people.items() if len({h for h, _m, _n in rows}) > 1}
    texts = {}
    if shared:
        for pk, household_id, name, id_number in _members(
            prefix, candidates, "household_id", "name", "id_number"
        ):
            rows = shared.get(person_key(id_number or ""))
            if rows:
                other = next(n for h, _m, n in rows if h != household_id)
                texts[pk] = (
                    f"成员{name}的身份证号 {mask(id_number)} 与户 {other} 的成员为同一人，一人不能在两户"
                )
    return _findings(texts, "的身份证号与另一户的成员为同一人，一人不能在两户")


def suspect_invalid_id(year: int, prefix: str = "", candidates=None) -> QuerySet:
    """An ID number failing GB 11643: wrong length or characters, or a wrong check character (old records)."""
    texts = {
        pk: f"成员{name}的身份证号 {mask(number)} 不符合国家标准（位数、字符或校验位错误）"
        for pk, name, number in _members(prefix, candidates, "name", "id_number")
        if not (well_formed(number) and check_right(number))
    }
    return _findings(texts, "的身份证号不符合国家标准（位数、字符或校验位错误）")


def suspect_identity_mismatch(year: int, prefix: str = "", candidates=None) -> QuerySet:
    """A well-formed ID number whose birth date or sex disagrees with the member's recorded birth date or
    sex."""
    texts = {}
    for pk, name, number, birth, sex in _members(
        prefix, candidates, "name", "id_number", "birth_date", "sex"
    ):
        if not well_formed(number):
            continue
        odd = number[16] in ODD_DIGITS
        if (
            number[6:14] != birth.strftime("%Y%m%d")
            or (odd and sex == codes.Sex.FEMALE)
            or (not odd and sex == codes.Sex.MALE)
        ):
            texts[pk] = (
                f"成员{name}登记的出生日期（{birth.isoformat()}）或性别与身份证号 {mask(number)} 不一致"
            )
    return _findings(texts, "登记的出生日期或性别与身份证号不一致")
