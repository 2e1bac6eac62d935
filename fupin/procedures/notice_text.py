"""What a notice (公示, 公告) says: its list of households (ID numbers masked), its title, body and issuer."""

import datetime

from django.utils import timezone

from fupin.core.idnumber import mask
from fupin.regions.models import CODE_LENGTHS, Region, RegionLevel
from fupin.registry import codes
from fupin.registry.models import Member

from .models import HOUSEHOLD_PROCEDURES, Batch, EntryState, NoticeKind, Procedure


def notice_entries(batch: Batch, states=(EntryState.SELECTED,)) -> list[dict]:
    """The list as it is posted: names, group, persons, type, cause, income; ID numbers masked."""
    if batch.is_village_procedure:
        return []
    entries = list(
        batch.entries.filter(state__in=states)
        .select_related("household", "household__group")
        .order_by("rank", "id")
    )
    heads = dict(
        Member.objects.filter(
            household_id__in=[e.household_id for e in entries], relation=codes.Relation.HEAD
        ).values_list("household_id", "id_number")
    )
    rows = []
    for i, e in enumerate(entries, 1):
        h = e.household
        rows.append(
            {
                "no": i,
                "head_name": h.head_name,
                "id_masked": mask(heads.get(h.pk, "")),
                "group": h.group.name if h.group_id else "",
                "persons": e.persons or h.size,
                "type": str(codes.HouseholdType(e.proposed_type or h.household_type).label)
                if (e.proposed_type or h.household_type)
                else "",
                "cause": str(codes.PovertyCause(e.primary_cause).label) if e.primary_cause else "",
                "income": str(e.per_capita_net_income) if e.per_capita_net_income is not None else "",
            }
        )
    return rows


# The seeds' national supervision hotline (全国扶贫监督举报电话), printed when a county has set none of its
# own.
NATIONAL_SUPERVISION_PHONE = "12317"
# How a village's registered name ends, and the committee's full name that replaces that ending.
COMMITTEE_SUFFIXES = (
    ("村民委员会", "村民委员会"),
    ("居民委员会", "居民委员会"),
    ("村委会", "村村民委员会"),
    ("居委会", "居民委员会"),
    ("社区", "社区居民委员会"),
)


def committee_name(village_name: str) -> str:
    """The village's committee as a notice's issuer: 水东村 and 水东村委会 both give 水东村村民委员会."""
    for suffix, full in COMMITTEE_SUFFIXES:
        if village_name.endswith(suffix):
            return village_name[: -len(suffix)] + full
    return f"{village_name}村民委员会"


def notice_text(batch: Batch, kind: str, ends_at, days: int, phone: str = "") -> tuple[str, str, str]:
    village = batch.village
    phone = phone or NATIONAL_SUPERVISION_PHONE
    if kind == NoticeKind.VILLAGE:
        issuer = committee_name(village.name)
    elif kind == NoticeKind.TOWNSHIP:
        issuer = f"{village.parent.name if village.parent_id else ''}人民政府"
    else:
        county = (
            Region.objects.filter(code=village.code[: CODE_LENGTHS[RegionLevel.COUNTY]])
            .values_list("name", flat=True)
            .first()
        )
        issuer = f"{county or ''}扶贫开发领导小组办公室"
    what = {
        Procedure.IDENTIFICATION: "贫困户识别",
        Procedure.RELAPSE: "返贫户",
        Procedure.EXIT: "脱贫户",
        Procedure.VILLAGE_IDENTIFICATION: "贫困村识别",
        Procedure.VILLAGE_EXIT: "贫困村出列",
    }[batch.kind]
    name = {NoticeKind.VILLAGE: "公示", NoticeKind.TOWNSHIP: "公示", NoticeKind.ANNOUNCEMENT: "公告"}[kind]
    title = (
        f"{village.name}{batch.year}年{what}{'名单' if batch.kind in HOUSEHOLD_PROCEDURES else '结果'}{name}"
    )
    if kind == NoticeKind.ANNOUNCEMENT:
        body = (
            f"经农户申请（入户核实）、村民代表民主评议、村级和乡镇两次公示、县扶贫办复审，现将{village.name}{batch.year}年"
            f"{what}结果予以公告。监督举报电话：{phone}。"
        )
    else:
        stage = "经村民代表民主评议" if kind == NoticeKind.VILLAGE else "经乡镇人民政府审核"
        listed = "名单" if batch.kind in HOUSEHOLD_PROCEDURES else "情况"
        last_day = timezone.localtime(ends_at - datetime.timedelta(seconds=1))
        body = (
            f"根据精准扶贫工作程序，{stage}，现将{village.name}{batch.year}年{what}{listed}予以公示，"
            f"公示期 {days} 天，至 {last_day:%Y年%m月%d日} 止。"
            f"对公示内容有异议的，请在公示期内向村民委员会、乡镇人民政府或县扶贫办反映（可署名或匿名）。"
            f"监督举报电话：{phone}。"
        )
    return title, body, issuer


def joint_notice_entries(batches: list[Batch]) -> list[dict]:
    """A township's one list across its villages: each village's list as it would be posted, one numbering."""
    rows = []
    for batch in batches:
        for row in notice_entries(batch):
            rows.append(row | {"no": len(rows) + 1, "village": batch.village.name})
    return rows


def joint_notice_text(
    township: Region, batches: list[Batch], ends_at, days: int, phone: str = ""
) -> tuple[str, str, str]:
    """Title, body and issuer of a township's one notice (乡镇公示) listing the households of several
    villages."""
    first = batches[0]
    phone = phone or NATIONAL_SUPERVISION_PHONE
    what = {Procedure.IDENTIFICATION: "贫困户识别", Procedure.RELAPSE: "返贫户", Procedure.EXIT: "脱贫户"}[
        first.kind
    ]
    villages = "、".join(b.village.name for b in batches)
    title = f"{township.name}{first.year}年{what}名单公示"
    last_day = timezone.localtime(ends_at - datetime.timedelta(seconds=1))
    body = (
        f"根据精准扶贫工作程序，经乡镇人民政府审核，"
        f"现将{villages}（共 {len(batches)} 个村）{first.year}年{what}名单予以公示，"
        f"公示期 {days} 天，至 {last_day:%Y年%m月%d日} 止。"
        f"对公示内容有异议的，请在公示期内向村民委员会、乡镇人民政府或县扶贫办反映（可署名或匿名）。"
        f"监督举报电话：{phone}。"
    )
    return title, body, f"{township.name}人民政府"
