import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin.regions.models import Region, RegionLevel, code_range, in_region, level_of, parent_code
from fupin.regions.selectors import children_for, regions_for
from fupin.regions.services import DIVISIONS_FILE, load_regions, read_divisions, select_divisions
from tests import factories


def test_levels_and_parents_follow_code_length():
    assert level_of("36") == RegionLevel.PROVINCE
    assert level_of("360722100001") == RegionLevel.VILLAGE
    assert parent_code("360722100001") == "360722100"
    assert parent_code("36") is None
    with pytest.raises(ValueError):
        level_of("3607221")


codes = st.text("0123456789", min_size=2, max_size=12)


@given(prefix=codes, code=codes)
def test_code_range_holds_exactly_the_codes_under_a_prefix(prefix, code):
    lo, hi = code_range(prefix)
    assert (lo <= code <= hi) == code.startswith(prefix)


def test_shipped_file_has_the_whole_country_to_villages():
    rows = dict(read_divisions(DIVISIONS_FILE))
    assert rows["36"] == "江西省" and rows["360722"] == "信丰县" and rows["11"] == "北京市"
    assert sum(1 for c in rows if len(c) == 6) > 2800
    assert sum(1 for c in rows if len(c) == 12) > 600000


def test_load_is_idempotent_and_selects_subtrees(db):
    rows = list(select_divisions(read_divisions(), depth=RegionLevel.COUNTY, under=["360722100"]))
    assert load_regions(rows) == len(rows)
    assert load_regions(rows) == len(rows)
    assert Region.objects.count() == len(rows)
    assert Region.objects.get(code="360722100").parent_id == "360722"
    assert Region.objects.filter(in_region("code", "360722100"), level=RegionLevel.VILLAGE).count() > 5
    assert not Region.objects.filter(code__startswith="360723", level=RegionLevel.TOWNSHIP).exists()


def test_region_full_name(tree):
    assert Region.objects.get(code=factories.VILLAGE).full_name() == "江西省赣州市信丰县嘉定镇南山居委会"


def test_users_see_only_their_subtree(users):
    township = users["township"]
    visible = set(regions_for(township).values_list("code", flat=True))
    assert visible == {"360722100", "360722100001", "360722100003"}
    township_region = Region.objects.get(code="360722100")
    assert [r.code for r in children_for(township, township_region)] == ["360722100001", "360722100003"]
    assert [r.code for r in children_for(users["clerk"], township_region)] == [factories.VILLAGE]
    assert regions_for(users["liaison"]).count() == 0
