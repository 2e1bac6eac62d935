"""Building import files in the national template for tests: rows as {heading: value}."""

import csv
import datetime
import itertools

from openpyxl import Workbook

from fupin.core.idnumber import check_character
from fupin.registry.imports import HEADINGS

PLACE = {"省": "江西省", "市": "赣州市", "县": "信丰县", "乡（镇）": "嘉定镇", "行政村": "南山居委会"}
SIBLING_PLACE = PLACE | {"行政村": "人民路居委会"}
OTHER_COUNTY_PLACE = {
    "省": "江西省",
    "市": "赣州市",
    "县": "大余县",
    "乡（镇）": "南安镇",
    "行政村": "余西街居民委员会",
}

_seq = itertools.count(1)


def new_id(birth=datetime.date(1970, 5, 17), sex="M", area="360722") -> str:
    n = next(_seq)
    seq = (2 * n + (1 if sex == "M" else 0)) % 1000
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


def household(
    head="王大山",
    *,
    place=PLACE,
    members=(("王小明", "之子", datetime.date(2001, 3, 4), "男"),),
    head_birth=datetime.date(1968, 2, 1),
    repeat=True,
    **fields,
) -> list[dict]:
    """The rows of one household: the head first, then the members; household cells repeated or on the head's
    row only."""
    head_id = new_id(head_birth, "M")
    hh = (
        dict(place)
        | {
            "户主姓名": head,
            "户主证件号码": head_id,
            "联系电话": "13800138000",
            "识别标准": "国家",
            "贫困户属性": "一般贫困户",
            "主要致贫原因": "因病",
            "其他致贫原因": "缺技术、缺资金",
            "家庭人口数": str(1 + len(members)),
            "耕地面积（亩）": "3.5",
            "住房面积（㎡）": "80",
            "入户路类型": "水泥路",
            "是否危房户": "否",
            "有无卫生厕所": "有",
            "识别年度": "2016",
            "户状态": "贫困户",
            "收入年度": "2024",
            "工资性收入": "12000",
            "生产经营性收入": "3000.50",
            "低保金": "2400",
            "生产经营性支出": "500",
        }
        | fields
    )
    rows = [
        hh
        | {
            "姓名": head,
            "性别": "男",
            "证件号码": head_id,
            "与户主关系": "户主",
            "民族": "汉族",
            "文化程度": "初中",
            "健康状况": "健康",
            "劳动技能": "普通劳动力",
            "务工状况": "省外务工",
            "务工时间（月）": "10",
        }
    ]
    for name, relation, birth, sex in members:
        person = {
            "姓名": name,
            "性别": sex,
            "证件号码": new_id(birth, "M" if sex == "男" else "F"),
            "与户主关系": relation,
            "民族": "汉族",
            "文化程度": "高中",
            "在校生状况": "非在校生",
            "健康状况": "健康",
        }
        rows.append((hh if repeat else {}) | person)
    return rows


def many_households(count: int) -> list[dict]:
    """`count` households of two or three persons, every ID number distinct (a birth date each)."""
    rows = []
    first = datetime.date(1950, 1, 1)
    for i in range(count):
        birth = first + datetime.timedelta(days=i)
        members = [
            ("成员" + str(i), "配偶", birth, "女"),
            ("小" + str(i), "之子", datetime.date(2005, 1, 1) + datetime.timedelta(days=i), "男"),
        ]
        rows += household("户主" + str(i), members=members[: 1 + i % 2], head_birth=birth)
    return rows


def write_csv(path, rows, headings=HEADINGS, encoding="utf-8-sig"):
    with open(path, "w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh)
        writer.writerow(headings)
        for row in rows:
            writer.writerow([row.get(h, "") for h in headings])
    return path


def write_xlsx(path, rows, headings=HEADINGS, numbers=()):
    """An .xlsx like Excel writes it: cells in `numbers` as numeric values, the rest as text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headings)
    for row in rows:
        values = []
        for h in headings:
            v = row.get(h, "")
            if h in numbers and v not in ("", None):
                v = float(v) if "." in str(v) else int(v)
            values.append(v if v != "" else None)
        sheet.append(values)
    workbook.save(path)
    return path
