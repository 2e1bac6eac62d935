"""The national form (贫困户信息采集表): its columns, their headings and aliases, and the cell converters.

The column list is docs/import_template.md; `map_columns` matches a file's headings to it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from fupin.core import idnumber, money
from fupin.core.fields import BlindIndexField
from fupin.regions.models import RegionLevel

from .. import codes
from ..models import AREA, MONEY, Household, IncomeRecord, Member


class ImportRejected(Exception):
    """The file as a whole cannot be imported (unreadable, wrong type, missing columns); Chinese message."""


class CellError(Exception):
    """A cell's value is not acceptable; the message says why, in Chinese."""


# ---------------------------------------------------------------------------------------------
# Cell converters: raw text → value. Each runs once per distinct value of a column.


def _text(max_length: int):
    def convert(raw: str) -> str:
        value = raw.strip()
        if len(value) > max_length:
            raise CellError(gettext("长度不能超过%(max_length)s个字符") % {"max_length": max_length})
        if "\n" in value or "\r" in value or "\t" in value:
            raise CellError(gettext("不能包含换行符或制表符"))
        return value

    convert.kind = ("text", max_length)
    return convert


def _digits_text(max_length: int, what: str):
    def convert(raw: str) -> str:
        value = raw.strip().replace(" ", "")
        if value.isascii() and value.isdigit() and len(value) <= max_length:
            return value
        if re.fullmatch(r"\d(\.\d+)?[eE]\+\d+", value):
            raise CellError(
                gettext("%(what)s被 Excel 存成了数字，末几位已丢失：请把该列设为文本格式后重新填写")
                % {"what": what}
            )
        if len(value) > max_length:
            raise CellError(gettext("长度不能超过%(max_length)s个字符") % {"max_length": max_length})
        if value and not re.fullmatch(r"[0-9+\-]+", value):
            hidden = idnumber.invisible_characters(value)
            raise CellError(
                (gettext("%(what)s中有看不见的字符：%(hidden)s，请删除") % {"what": what, "hidden": hidden})
                if hidden
                else (gettext("%(what)s只能包含数字") % {"what": what})
            )
        return value

    convert.kind = ("digits", max_length)
    return convert


def _code(choices, what: str):
    labels = (
        [str(label) for _, label in choices] if isinstance(choices, list) else [str(c.label) for c in choices]
    )

    def convert(raw: str) -> str:
        value = codes.lookup(choices, raw)
        if value is None:
            shown = "、".join(labels[:20]) + ("…" if len(labels) > 20 else "")
            raise CellError(gettext("不是有效的%(what)s；可填：%(shown)s") % {"what": what, "shown": shown})
        return value

    convert.kind = ("code",)
    return convert


_YES = {"是": True, "否": False}
_HAVE = {"是": True, "否": False, "有": True, "无": False}


def _boolean(words=_YES):
    def convert(raw: str) -> bool:
        value = raw.strip()
        if value not in words:
            raise CellError(gettext("请填写“%(choices)s”") % {"choices": gettext("”或“").join(words)})
        return words[value]

    convert.kind = ("bool",)
    return convert


_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _decimal(spec: dict, what: str):
    """A quantity with two places (an area, a distance); sums of money are _yuan's."""
    limit = Decimal(10) ** (spec["max_digits"] - spec["decimal_places"])

    def convert(raw: str) -> Decimal:
        value = raw.strip().replace(",", "")
        if not _NUMBER.fullmatch(value):
            raise CellError(gettext("请填写%(what)s（数字）") % {"what": what})
        number = Decimal(value)
        if number < 0:
            raise CellError(gettext("%(what)s不能为负数") % {"what": what})
        if number != number.quantize(Decimal("0.01")):
            raise CellError(gettext("%(what)s最多保留两位小数") % {"what": what})
        if number >= limit:
            raise CellError(gettext("%(what)s过大") % {"what": what})
        return number.quantize(Decimal("0.01"))

    convert.kind = ("decimal", spec["max_digits"] - spec["decimal_places"])
    return convert


def _yuan(spec: dict):
    """A sum of yuan, read by core.money.parse_yuan: the parser, limit and messages of the forms and the API
    (请输入金额（元）, 金额不能为负数, 金额最多保留两位小数, 金额不能超过 …) for the column's DecimalField."""
    below = money.below_digits(spec["max_digits"])

    def convert(raw: str) -> Decimal:
        try:
            return money.parse_yuan(raw, below=below)
        except money.MoneyError as e:
            raise CellError(str(e)) from None

    convert.kind = ("decimal", spec["max_digits"] - spec["decimal_places"])
    return convert


def _integer(low: int, high: int, what: str):
    def convert(raw: str) -> int:
        value = raw.strip()
        if not value.isascii() or not value.isdigit():
            raise CellError(gettext("请填写%(what)s（整数）") % {"what": what})
        number = int(value)
        if not low <= number <= high:
            raise CellError(
                gettext("%(what)s应在%(low)s到%(high)s之间") % {"what": what, "low": low, "high": high}
            )
        return number

    convert.kind = ("integer",)
    return convert


_CAUSE_SEPARATORS = re.compile(r"[、,，;；/\s]+")


def _causes(raw: str) -> list[str]:
    found = []
    for part in _CAUSE_SEPARATORS.split(raw.strip()):
        if not part:
            continue
        code = codes.lookup(codes.PovertyCause, part)
        if code is None:
            raise CellError(gettext("未知的致贫原因：%(part)s") % {"part": part})
        if code not in found:
            found.append(code)
    return found


_causes.kind = ("causes",)


def _identity(raw: str) -> str:
    value = raw.strip().upper()
    if "E+" in value and re.fullmatch(r"\d(\.\d+)?E\+\d+", value):
        raise CellError(gettext("证件号码被 Excel 存成了数字，末几位已丢失：请把该列设为文本格式后重新填写"))
    return value


_identity.kind = ("identity",)


# ---------------------------------------------------------------------------------------------
# The template's columns: the national form's headings, verbatim.

REGION, HOUSEHOLD, INCOME, MEMBER = "region", "household", "income", "member"


@dataclass(frozen=True)
class Column:
    heading: str
    part: str
    field: str
    convert: Callable[[str], object] | None = None
    blank: object = ""  # the value of an empty cell
    aliases: tuple[str, ...] = ()
    note: str = ""  # accepted values, for the template's documentation
    optional: bool = False  # not in the template by default, read when present


def _money(heading, field_name):
    return Column(heading, INCOME, field_name, _yuan(MONEY), None, note="元，最多两位小数")


def _area(heading, field_name):
    return Column(
        heading, HOUSEHOLD, field_name, _decimal(AREA, "面积"), Decimal("0.00"), note="数字，最多两位小数"
    )


def _yes_no(part, heading, field_name, default, words=_YES):
    return Column(heading, part, field_name, _boolean(words), default, note="／".join(words))


def _labels(choices):
    return "／".join(
        str(label)
        for _, label in (choices if isinstance(choices, list) else choices.choices)
        if label != "无"
    )


def _coded(part, heading, field_name, choices, default="", *, what="", more=""):
    """A column of a code list: its code, label or alias (`what` names it in errors); its labels are its
    note."""
    return Column(
        heading, part, field_name, _code(choices, what or heading), default, note=_labels(choices) + more
    )


COLUMNS: list[Column] = [
    Column("省", REGION, "province", _text(100), aliases=("省份",)),
    Column("市", REGION, "prefecture", _text(100), aliases=("市（州）", "地市")),
    Column("县", REGION, "county", _text(100), aliases=("县（市、区）", "县（区）")),
    Column("乡（镇）", REGION, "township", _text(100), aliases=("乡镇", "乡（镇、街道）")),
    Column("行政村", REGION, "village", _text(100), aliases=("村",)),
    Column("自然村（组）", REGION, "group", _text(100), aliases=("自然村", "村民小组", "组")),
    Column(
        "行政村代码",
        REGION,
        "village_code",
        _digits_text(15, "行政村代码"),
        optional=True,
        note="12位统计用区划代码；填写后按代码定位行政村",
    ),
    Column("户编号", HOUSEHOLD, "number", _text(20), note="已有户填写其户编号；新户可留空，导入时自动编号"),
    Column("户主姓名", HOUSEHOLD, "head_name", _text(50)),
    Column(
        "户主证件号码", HOUSEHOLD, "head_id_number", _identity, aliases=("户主身份证号", "户主身份证号码")
    ),
    Column("联系电话", HOUSEHOLD, "phone", _digits_text(20, "联系电话")),
    Column("开户银行", HOUSEHOLD, "bank_name", _text(50)),
    Column("银行账号", HOUSEHOLD, "bank_account", _digits_text(40, "银行账号")),
    _coded(
        HOUSEHOLD,
        "识别标准",
        "identification_standard",
        codes.IdentificationStandard,
        codes.IdentificationStandard.NATIONAL,
    ),
    Column(
        "贫困户属性",
        HOUSEHOLD,
        "household_type",
        _code(codes.HouseholdType, "贫困户属性"),
        note=_labels(codes.HouseholdType)
        + "（也可填："
        + "、".join(codes.ALIASES[codes.HouseholdType])
        + "）",
    ),
    _coded(HOUSEHOLD, "主要致贫原因", "primary_cause", codes.PovertyCause, what="致贫原因"),
    Column("其他致贫原因", HOUSEHOLD, "other_causes", _causes, [], note="多个原因用顿号“、”分隔"),
    Column(
        "家庭人口数",
        HOUSEHOLD,
        "declared_size",
        _integer(1, 99, "家庭人口数"),
        None,
        note="可留空；填写时须等于本户成员人数",
    ),
    _yes_no(HOUSEHOLD, "是否军烈属", "is_military_family", False),
    _yes_no(HOUSEHOLD, "是否独生子女户", "is_only_child", False),
    _yes_no(HOUSEHOLD, "是否双女户", "is_two_daughters", False),
    _area("耕地面积（亩）", "farmland_area"),
    _area("有效灌溉面积（亩）", "irrigated_area"),
    _area("林地面积（亩）", "forest_area"),
    _area("退耕还林面积（亩）", "returned_forest_area"),
    _area("牧草地面积（亩）", "pasture_area"),
    _area("水面面积（亩）", "water_area"),
    _area("住房面积（㎡）", "housing_area"),
    _yes_no(HOUSEHOLD, "是否危房户", "is_dangerous_house", False),
    Column(
        "与村主干路距离（公里）",
        HOUSEHOLD,
        "road_distance_km",
        _decimal(AREA, "距离"),
        Decimal("0.00"),
        note="数字，最多两位小数",
    ),
    _coded(HOUSEHOLD, "入户路类型", "road_type", codes.RoadType),
    _yes_no(HOUSEHOLD, "是否通生活用电", "has_electricity", True),
    _yes_no(HOUSEHOLD, "是否通广播电视", "has_broadcast_tv", True),
    _yes_no(HOUSEHOLD, "饮水是否困难", "water_difficult", False),
    _yes_no(HOUSEHOLD, "饮水是否安全", "water_safe", True),
    _coded(HOUSEHOLD, "主要燃料类型", "fuel_type", codes.FuelType, what="燃料类型"),
    _yes_no(HOUSEHOLD, "有无卫生厕所", "has_sanitary_toilet", False, _HAVE),
    _yes_no(HOUSEHOLD, "是否加入农民专业合作社", "in_cooperative", False),
    Column("识别年度", HOUSEHOLD, "registration_year", _integer(2000, 2100, "年度"), None, note="四位年份"),
    Column(
        "脱贫年度", HOUSEHOLD, "exit_year", _integer(2000, 2100, "年度"), None, note="四位年份；已脱贫户必填"
    ),
    _coded(
        HOUSEHOLD,
        "户状态",
        "status",
        codes.HouseholdStatus,
        codes.HouseholdStatus.POOR,
        more="；留空为贫困户",
    ),
    Column("住址", HOUSEHOLD, "address", _text(200), optional=True),
    Column(
        "收入年度",
        INCOME,
        "year",
        _integer(2000, 2100, "收入年度"),
        None,
        note="填写收入时必填：这些收入所属的年度",
    ),
    _money("工资性收入", "wages"),
    _money("生产经营性收入", "production"),
    _money("财产性收入", "property_income"),
    Column(
        "转移性收入",
        INCOME,
        "transfers_total",
        _yuan(MONEY),
        None,
        note="可留空；填写时须等于以下六项之和（其他转移性收入留空时取差额）",
    ),
    _money("计划生育金", "family_planning"),
    _money("低保金", "dibao"),
    _money("特困供养金", "wubao"),
    _money("养老保险金", "pension"),
    _money("生态补偿金", "eco_compensation"),
    _money("其他转移性收入", "other_transfers"),
    _money("生产经营性支出", "productive_expenditure"),
    Column(
        "年人均纯收入",
        INCOME,
        "per_capita_net_income",
        _yuan(MONEY),
        None,
        note="由系统计算：（各项收入−生产经营性支出）÷家庭人口数；填写时须与计算结果一致",
    ),
    Column("姓名", MEMBER, "name", _text(50), aliases=("成员姓名",)),
    Column("性别", MEMBER, "sex", _code(codes.Sex, "性别"), None, note="男／女；可留空，按证件号码推定"),
    Column(
        "证件号码",
        MEMBER,
        "id_number",
        _identity,
        aliases=("身份证号", "身份证号码", "成员证件号码"),
        note="18位居民身份证号，设为文本格式",
    ),
    _coded(MEMBER, "与户主关系", "relation", codes.Relation),
    Column(
        "民族",
        MEMBER,
        "ethnicity",
        _code(codes.ETHNICITIES, "民族"),
        "01",
        note="56个民族名称或两位代码；留空为汉族",
    ),
    _coded(MEMBER, "政治面貌", "political_status", codes.PoliticalStatus, codes.PoliticalStatus.MASSES),
    _coded(MEMBER, "文化程度", "education", codes.Education),
    _coded(MEMBER, "在校生状况", "schooling", codes.SchoolingStatus, codes.SchoolingStatus.NOT_IN_SCHOOL),
    _coded(MEMBER, "健康状况", "health", codes.Health, codes.Health.HEALTHY),
    _coded(MEMBER, "劳动技能", "labour_skill", codes.LabourSkill),
    _coded(MEMBER, "务工状况", "work_status", codes.WorkStatus, codes.WorkStatus.NOT_WORKING),
    Column("务工时间（月）", MEMBER, "work_months", _integer(0, 12, "务工时间"), 0, note="0到12的整数"),
    _yes_no(MEMBER, "是否参加城乡居民基本医疗保险", "has_medical_insurance", True),
    _yes_no(MEMBER, "是否参加大病保险", "has_serious_illness_insurance", True),
    _yes_no(MEMBER, "是否参加城乡居民基本养老保险", "has_pension_insurance", False),
    _yes_no(MEMBER, "是否享受人身意外保险补贴", "has_accident_insurance", False),
    _yes_no(MEMBER, "是否现役军人", "is_active_military", False),
    _coded(MEMBER, "残疾类别", "disability_category", codes.DisabilityCategory, more="；无残疾留空"),
    _coded(MEMBER, "残疾等级", "disability_level", codes.DisabilityLevel, more="；无残疾留空"),
    Column("联系电话", MEMBER, "phone", _digits_text(20, "联系电话")),
]
TEMPLATE_COLUMNS = [c for c in COLUMNS if not c.optional]
HEADINGS = [c.heading for c in TEMPLATE_COLUMNS]
BY_KEY = {(c.part, c.field): c for c in COLUMNS}
REGION_FIELDS = ("province", "prefecture", "county", "township", "village")
REGION_LEVELS = dict(
    zip(
        REGION_FIELDS,
        (
            RegionLevel.PROVINCE,
            RegionLevel.PREFECTURE,
            RegionLevel.COUNTY,
            RegionLevel.TOWNSHIP,
            RegionLevel.VILLAGE,
        ),
        strict=True,
    )
)

# Stored columns of the two tables, in the order the bulk path writes them: plain values, the blind indexes
# left out (the writers seal the columns and add the indexes: fupin.core.encrypting.seal_columns).
HOUSEHOLD_COLUMNS = [f.attname for f in Household._meta.concrete_fields if f.attname != "id"]
MEMBER_COLUMNS = [
    f.attname
    for f in Member._meta.concrete_fields
    if f.attname != "id" and not isinstance(f, BlindIndexField)
]
# the version is the database's (fupin.core.version_columns): a new record starts at its default, an update
# raises it
INCOME_COLUMNS = [f.attname for f in IncomeRecord._meta.concrete_fields if f.attname not in ("id", "version")]
MONEY_FIELDS = list(IncomeRecord.INCOME_FIELDS) + ["productive_expenditure"]
HOUSEHOLD_FILE_FIELDS = [
    c.field
    for c in COLUMNS
    if c.part == HOUSEHOLD and c.field in HOUSEHOLD_COLUMNS and c.field not in ("number", "head_name")
]
MEMBER_FILE_FIELDS = [c.field for c in COLUMNS if c.part == MEMBER]
# Values of fields the file leaves out, for new records: the model's defaults.
HOUSEHOLD_DEFAULTS = {f.attname: f.get_default() for f in Household._meta.concrete_fields}
MEMBER_DEFAULTS = {f.attname: f.get_default() for f in Member._meta.concrete_fields}
JSON_FIELDS = {"other_causes", "flags"}
AUDIT_SKIP = {"created_at", "updated_at"}


def _normalise_heading(text) -> str:
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）")
    return text.replace("m²", "㎡").replace("m2", "㎡").replace("平方米", "㎡")


_HEADING_INDEX: dict[str, list[Column]] = defaultdict(list)
for _c in COLUMNS:
    for _h in (_c.heading, *_c.aliases):
        _HEADING_INDEX[_normalise_heading(_h)].append(_c)


def columns_for(heading) -> list[Column]:
    key = _normalise_heading(heading)
    if key in _HEADING_INDEX:
        return _HEADING_INDEX[key]
    # 户状态（贫困户／已脱贫…） or 识别标准（国家／省／市县）: a heading followed by its options
    stripped = re.sub(r"（[^（）]*）$", "", key)
    return _HEADING_INDEX.get(stripped, [])


@dataclass
class ColumnMap:
    """Where each template column is in the file (index), and what was left unrecognised."""

    index: dict[tuple[str, str], int]
    ignored: list[str]

    def has(self, part: str, name: str) -> bool:
        return (part, name) in self.index


def map_columns(headers: list[str]) -> ColumnMap:
    """Match the file's headings to the template; ImportRejected if required ones are missing or repeated."""
    index: dict[tuple[str, str], int] = {}
    ignored = []
    candidates = [columns_for(h) for h in headers]
    name_at = next(
        (i for i, cs in enumerate(candidates) if any(c.field == "name" and c.part == MEMBER for c in cs)),
        None,
    )
    for i, (heading, columns) in enumerate(zip(headers, candidates, strict=True)):
        if not columns:
            if str(heading).strip() and _normalise_heading(heading) not in ("序号", "编号"):
                ignored.append(str(heading).strip())
            continue
        if len(columns) > 1:
            # 联系电话 is on the form twice: the household's before the members' columns, the member's after.
            household_first = name_at is None or i < name_at
            columns = sorted(
                columns, key=lambda c: (c.part != HOUSEHOLD) if household_first else (c.part == HOUSEHOLD)
            )
            columns = [c for c in columns if (c.part, c.field) not in index][:1] or columns[:1]
        column = columns[0]
        key = (column.part, column.field)
        if key in index:
            raise ImportRejected(
                gettext("列“%(heading)s”重复出现（第%(value)s列和第%(value2)s列）")
                % {"heading": column.heading, "value": index[key] + 1, "value2": i + 1}
            )
        index[key] = i
    missing = [
        BY_KEY[(MEMBER, f)].heading for f in ("name", "id_number", "relation") if (MEMBER, f) not in index
    ]
    if (REGION, "village_code") not in index:
        missing += [BY_KEY[(REGION, f)].heading for f in REGION_FIELDS if (REGION, f) not in index]
    if (HOUSEHOLD, "number") not in index and (HOUSEHOLD, "head_id_number") not in index:
        missing.append("户编号或户主证件号码")
    if missing:
        raise ImportRejected(
            gettext("缺少必填列：%(columns)s。请使用导入模板的表头。") % {"columns": "、".join(missing)}
        )
    return ColumnMap(index, ignored)
