"""The national form's code lists (NATIONAL_FORM.md), as choices with codes.

The stored value is the code; the label is the form's Chinese wording, which is also
what the import template accepts (as does the code itself).
"""

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class HouseholdStatus(models.TextChoices):
    UNREGISTERED = "unregistered", _("未建档")
    APPLICANT = "applicant", _("申请中")
    POOR = "poor", _("贫困户")
    EXITED = "exited", _("已脱贫")
    MONITORED = "monitored", _("监测户")
    REMOVED = "removed", _("已清退")


# Statuses of a household whose identification was announced (Household.is_registered).
REGISTERED_STATUSES = frozenset({HouseholdStatus.POOR, HouseholdStatus.EXITED, HouseholdStatus.MONITORED})


class HouseholdType(models.TextChoices):
    GENERAL_POOR = "general_poor", _("一般贫困户")
    DIBAO_POOR = "dibao_poor", _("低保贫困户")
    WUBAO = "wubao", _("特困供养贫困户")
    DIBAO = "dibao", _("低保户")


class PovertyCause(models.TextChoices):
    ILLNESS = "illness", _("因病")
    DISABILITY = "disability", _("因残")
    SCHOOLING = "schooling", _("因学")
    DISASTER = "disaster", _("因灾")
    LACK_LAND = "lack_land", _("缺土地")
    LACK_WATER = "lack_water", _("缺水")
    LACK_SKILLS = "lack_skills", _("缺技术")
    LACK_LABOUR = "lack_labour", _("缺劳力")
    LACK_FUNDS = "lack_funds", _("缺资金")
    POOR_TRANSPORT = "poor_transport", _("交通条件落后")
    LACK_MOTIVATION = "lack_motivation", _("自身发展动力不足")
    OTHER = "other", _("其他")


class IdentificationStandard(models.TextChoices):
    NATIONAL = "national", _("国家")
    PROVINCIAL = "provincial", _("省")
    LOCAL = "local", _("市县")


class RoadType(models.TextChoices):
    DIRT = "dirt", _("泥土路")
    GRAVEL = "gravel", _("砂石路")
    CEMENT = "cement", _("水泥路")
    ASPHALT = "asphalt", _("沥青路")


class FuelType(models.TextChoices):
    FIREWOOD = "firewood", _("柴草")
    COAL = "coal", _("煤炭")
    GAS = "gas", _("燃气")
    ELECTRICITY = "electricity", _("电")
    OTHER = "other", _("其他")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    SON = "son", _("之子")
    DAUGHTER = "daughter", _("之女")
    DAUGHTER_IN_LAW = "daughter_in_law", _("之儿媳")
    SON_IN_LAW = "son_in_law", _("之女婿")
    GRANDSON = "grandson", _("之孙子")
    GRANDDAUGHTER = "granddaughter", _("之孙女")
    DAUGHTERS_SON = "daughters_son", _("之外孙子")
    DAUGHTERS_DAUGHTER = "daughters_daughter", _("之外孙女")
    FATHER = "father", _("之父")
    MOTHER = "mother", _("之母")
    FATHER_IN_LAW_WIFE = "wifes_father", _("之岳父")
    MOTHER_IN_LAW_WIFE = "wifes_mother", _("之岳母")
    FATHER_IN_LAW_HUSBAND = "husbands_father", _("之公公")
    MOTHER_IN_LAW_HUSBAND = "husbands_mother", _("之婆婆")
    GRANDFATHER = "grandfather", _("之祖父")
    GRANDMOTHER = "grandmother", _("之祖母")
    SIBLING = "sibling", _("之兄弟姐妹")
    OTHER = "other", _("其他")


class Education(models.TextChoices):
    ILLITERATE = "illiterate", _("文盲或半文盲")
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中")
    SECONDARY_VOCATIONAL = "secondary_vocational", _("中专")
    COLLEGE = "college", _("大专及以上")
    PRESCHOOL = "preschool", _("学龄前儿童")


class SchoolingStatus(models.TextChoices):
    NOT_IN_SCHOOL = "none", _("非在校生")
    PRESCHOOL = "preschool", _("学前教育")
    PRIMARY = "primary", _("小学")
    GRADE7 = "grade7", _("七年级")
    GRADE8 = "grade8", _("八年级")
    GRADE9 = "grade9", _("九年级")
    SENIOR1 = "senior1", _("高中一年级")
    SENIOR2 = "senior2", _("高中二年级")
    SENIOR3 = "senior3", _("高中三年级")
    VOCATIONAL1 = "vocational1", _("中职一年级")
    VOCATIONAL2 = "vocational2", _("中职二年级")
    VOCATIONAL3 = "vocational3", _("中职三年级")
    HIGHER_VOCATIONAL = "higher_vocational", _("高职")
    JUNIOR_COLLEGE = "junior_college", _("大专")
    UNIVERSITY = "university", _("本科及以上")


class Health(models.TextChoices):
    HEALTHY = "healthy", _("健康")
    CHRONIC = "chronic", _("长期慢性病")
    SERIOUS = "serious", _("患有大病")
    DISABLED = "disabled", _("残疾")


class LabourSkill(models.TextChoices):
    ORDINARY = "ordinary", _("普通劳动力")
    SKILLED = "skilled", _("技能劳动力")
    LOST = "lost", _("丧失劳动力")
    NONE = "none", _("无劳动力")


class WorkStatus(models.TextChoices):
    IN_TOWNSHIP = "in_township", _("乡（镇）内务工")
    IN_COUNTY = "in_county", _("乡（镇）外县内务工")
    IN_PROVINCE = "in_province", _("县外省内务工")
    OUT_OF_PROVINCE = "out_of_province", _("省外务工")
    OTHER = "other", _("其他")
    NOT_WORKING = "not_working", _("未务工")


class PoliticalStatus(models.TextChoices):
    PARTY_MEMBER = "party", _("中共党员")
    LEAGUE_MEMBER = "league", _("共青团员")
    MASSES = "masses", _("群众")
    OTHER = "other", _("其他")


class DisabilityCategory(models.TextChoices):
    NONE = "", _("无")
    VISUAL = "visual", _("视力残疾")
    HEARING = "hearing", _("听力残疾")
    SPEECH = "speech", _("言语残疾")
    PHYSICAL = "physical", _("肢体残疾")
    INTELLECTUAL = "intellectual", _("智力残疾")
    MENTAL = "mental", _("精神残疾")
    MULTIPLE = "multiple", _("多重残疾")


class DisabilityLevel(models.TextChoices):
    NONE = "", _("无")
    LEVEL1 = "1", _("一级")
    LEVEL2 = "2", _("二级")
    LEVEL3 = "3", _("三级")
    LEVEL4 = "4", _("四级")


# GB 3304: the 56 nationalities with their two-digit codes.
ETHNICITIES = [
    ("01", _("汉族")),
    ("02", _("蒙古族")),
    ("03", _("回族")),
    ("04", _("藏族")),
    ("05", _("维吾尔族")),
    ("06", _("苗族")),
    ("07", _("彝族")),
    ("08", _("壮族")),
    ("09", _("布依族")),
    ("10", _("朝鲜族")),
    ("11", _("满族")),
    ("12", _("侗族")),
    ("13", _("瑶族")),
    ("14", _("白族")),
    ("15", _("土家族")),
    ("16", _("哈尼族")),
    ("17", _("哈萨克族")),
    ("18", _("傣族")),
    ("19", _("黎族")),
    ("20", _("傈僳族")),
    ("21", _("佤族")),
    ("22", _("畲族")),
    ("23", _("高山族")),
    ("24", _("拉祜族")),
    ("25", _("水族")),
    ("26", _("东乡族")),
    ("27", _("纳西族")),
    ("28", _("景颇族")),
    ("29", _("柯尔克孜族")),
    ("30", _("土族")),
    ("31", _("达斡尔族")),
    ("32", _("仫佬族")),
    ("33", _("羌族")),
    ("34", _("布朗族")),
    ("35", _("撒拉族")),
    ("36", _("毛南族")),
    ("37", _("仡佬族")),
    ("38", _("锡伯族")),
    ("39", _("阿昌族")),
    ("40", _("普米族")),
    ("41", _("塔吉克族")),
    ("42", _("怒族")),
    ("43", _("乌孜别克族")),
    ("44", _("俄罗斯族")),
    ("45", _("鄂温克族")),
    ("46", _("德昂族")),
    ("47", _("保安族")),
    ("48", _("裕固族")),
    ("49", _("京族")),
    ("50", _("塔塔尔族")),
    ("51", _("独龙族")),
    ("52", _("鄂伦春族")),
    ("53", _("赫哲族")),
    ("54", _("门巴族")),
    ("55", _("珞巴族")),
    ("56", _("基诺族")),
]


# Words the seeds and county ledgers use for a code besides its label (seed 001 篇1 names four household
# types: 一般贫困户、扶贫低保户、低保户、五保户). Imports and the API accept them; the code stored is the
# national one.
ALIASES = {
    HouseholdType: {
        "扶贫低保户": HouseholdType.DIBAO_POOR,
        "五保户": HouseholdType.WUBAO,
        "五保贫困户": HouseholdType.WUBAO,
        "特困供养户": HouseholdType.WUBAO,
    },
}


def lookup(choices, text: str):
    """The code for a form value given as its code, its Chinese label or one of its ALIASES; None if
    unknown."""
    text = (text or "").strip()
    alias = ALIASES.get(choices, {}).get(text) if not isinstance(choices, list) else None
    if alias is not None:
        return alias.value
    if isinstance(choices, list):
        code = _source_codes(choices).get(text)
        if code is not None:
            return code
        for code, label in choices:  # a label in the reader's language (its lazy text compares as that)
            if text == label:
                return code
        return None
    for member in choices:
        if text == member.value or text == _source_label(member.label) or text == str(member.label):
            return member.value
    return None


_SOURCE_CODES: dict[int, tuple[list, dict[str, str]]] = {}


def _source_codes(choices: list) -> dict[str, str]:
    """A code list's codes by code and by Chinese label, whatever language is active (an import started from
    the English pages read 汉族 as "Han" and refused it); made once per list (the lists are constants; the
    entry keeps its list, so an id is never read for another)."""
    entry = _SOURCE_CODES.get(id(choices))
    if entry is None or entry[0] is not choices:
        found = {code: code for code, _ in choices} | {_source_label(label): code for code, label in choices}
        entry = _SOURCE_CODES[id(choices)] = (choices, found)
    return entry[1]


def _source_label(label) -> str:
    """A label as written in the code (Chinese), whatever language is active: the national form's cells are
    Chinese even when the user who uploads it reads the pages in English."""
    with translation.override(None):
        return str(label)
