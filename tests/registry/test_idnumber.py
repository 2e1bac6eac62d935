import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin.core import idnumber
from fupin.core.idnumber import IdNumberError, check_character, parse


def test_standard_example_is_valid():
    parsed = parse("11010519491231002X")
    assert parsed.birth_date == datetime.date(1949, 12, 31)
    assert parsed.sex == "F"
    assert parsed.address_code == "110105"


def test_lower_case_x_is_accepted_and_normalised():
    assert parse("11010519491231002x").number == "11010519491231002X"


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", "不能为空"),
        ("110105194912310", "15位旧身份证号"),
        ("1101051949123100", "应为18位"),
        ("11010519491231002Y", "末位为数字或X"),
        ("110105194902300021", "出生日期 19490230 不存在"),
        ("110105194912310021", "校验位错误：应为 X"),
        ("110105209912310021", "不合理"),
    ],
)
def test_invalid_numbers_say_why_in_chinese(raw, message):
    with pytest.raises(IdNumberError, match=message):
        parse(raw)


def test_old_fifteen_digit_number_upgrades_explicitly():
    new = idnumber.upgrade_15("110105491231002")
    assert new == "11010519491231002X"
    with pytest.raises(IdNumberError):
        idnumber.upgrade_15("11010549123100")


def test_masks_keep_only_the_ends():
    assert idnumber.mask("11010519491231002X") == "110105********002X"
    assert idnumber.mask_phone("13812345678") == "138****5678"
    assert idnumber.mask("") == ""


dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2024, 12, 31))


@given(area=st.integers(110000, 659999), birth=dates, seq=st.integers(0, 999))
def test_any_number_with_its_check_character_parses_back(area, birth, seq):
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    parsed = parse(first17 + check_character(first17))
    assert parsed.birth_date == birth
    assert parsed.sex == ("M" if seq % 2 else "F")


@given(
    area=st.integers(110000, 659999),
    birth=dates,
    seq=st.integers(0, 999),
    pos=st.integers(0, 16),
    delta=st.integers(1, 9),
)
def test_any_single_digit_change_is_caught(area, birth, seq, pos, delta):
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    number = first17 + check_character(first17)
    changed = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1 :]
    with pytest.raises(IdNumberError):
        parse(changed)
