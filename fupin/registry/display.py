"""How registry records read on a page: fields by the national form's names, values in words,
ID numbers, phones and bank accounts masked for roles that do not work with them, and birth dates
shown to them as the year only (fupin.registry.masking).

The audit stores field names and plain values; `describe` turns an entry back into what
the national form calls them, for the household page and its history page.
"""

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts.models import Role
from fupin.audit.chain import opened_changes
from fupin.audit.models import AuditEntry
from fupin.core.formats import amount
from fupin.regions.models import Region

from . import codes, masking
from .models import GUARANTEE_LABELS, GuaranteeCheck, Household, IncomeRecord, Member

ACTIONS = {
    "create": _("新建户"),
    "update": _("修改户信息"),
    "add_member": _("新增成员"),
    "update_member": _("修改成员信息"),
    "remove_member": _("减员"),
    "record_income": _("录入年收入"),
    "record_guarantees": _("两不愁三保障核查"),
    "import_create": _("导入新建"),
    "import_update": _("导入更新"),
    "seed_demo": _("生成演示数据"),
    # key facts changed by a procedure or a reviewed change request, never by an ordinary update
    "initial_load": _("建档立卡数据初始导入"),
    "procedure_apply": _("识别程序：申请"),
    "procedure_withdraw": _("识别程序：撤回申请"),
    "procedure_identification": _("识别程序公告：纳入建档立卡"),
    "procedure_exit": _("退出程序公告：脱贫"),
    "procedure_relapse": _("返贫程序公告：返贫"),
    "procedure_resolve_objection": _("处理公示异议"),
    "monitoring_include": _("纳入监测"),
    "monitoring_eliminate": _("风险消除"),
    "monitoring_exclude": _("疑点核实：清退"),
    "change_request": _("变更申请审核通过"),
    # other apps' actions that concern a household
    "apply_loan": _("申请小额信贷"),
    "approve_loan": _("批准小额信贷"),
    "reject_loan": _("驳回小额信贷"),
    "disburse_loan": _("发放小额信贷"),
    "record_repayment": _("登记还款"),
    "record_default": _("登记逾期"),
    "repayment_reminder": _("还款提醒"),
    "record_interest": _("登记贴息"),
    "pay_subsidy": _("发放贴息"),
    "risk_fund_recovery": _("风险补偿金代偿"),
    "add_beneficiary": _("列为项目受益户"),
    "remove_beneficiary": _("移出项目受益户"),
    # change requests (fupin.changes), on the household's trail
    "propose_change": _("提出变更申请"),
    "resubmit_change": _("修改后重新提交变更申请"),
    "return_change": _("退回变更申请"),
    "withdraw_change": _("撤回变更申请"),
    "approve_change": _("批准变更申请"),
}
MODELS = {m._meta.model_name: m for m in (Household, Member, IncomeRecord, GuaranteeCheck)}
EXTRA_LABELS = {
    "reason": _("减员原因"),
    "members": _("家庭成员"),
    "change_request": _("变更申请"),
    "comment": _("意见"),
    "kind": _("变更类型"),
    "evidence": _("佐证材料"),
    "change_reason": _("变更原因"),
    "join_cause": _("增员原因"),
    "split_from": _("分户自"),
}
# Bookkeeping a reader of the trail does not need.
# A change request's payload reads on its own page (fupin.changes.display); the trail keeps it as recorded.
HIDDEN = {
    "id",
    "household",
    "village_code",
    "name_initials",
    "head_initials",
    "created_at",
    "updated_at",
    "recorded_at",
    "payload",
}


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as the history pages show it: who, when, what, and each field's change."""

    at: object
    who: str
    role: str
    action: str
    target: str
    changes: list[Change]


def role_label(role: str) -> str:
    if role == "admin":
        return _("系统管理员")
    return Role(role).label if role in Role.values else role


def _field(model, name):
    """The model's own field of that name (not a reverse relation), or None."""
    try:
        field = model._meta.get_field(name) if model else None
    except FieldDoesNotExist:
        return None
    return field if field is not None and field.concrete else None


def _display(field, name: str, value, *, sees_identifiers: bool) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, Region):
        return value.name
    if not sees_identifiers:
        if name in masking.MASKED_FIELDS:
            return str(masking.mask_value(name, value))
        if isinstance(value, str):
            value = masking.mask_text(value)
    if name == "other_causes" and isinstance(value, list):
        labels = dict(codes.PovertyCause.choices)
        return "、".join(str(labels.get(v, v)) for v in value)
    if name == "notes" and isinstance(value, dict):
        return "；".join(f"{GUARANTEE_LABELS.get(k, k)}：{v}" for k, v in value.items())
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField) or isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(field, models.DecimalField):
        return amount(value)
    return str(value)


def household_sections(
    household: Household, sections, *, sees_identifiers: bool
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The household's fields grouped as the national form groups them: [(title, [(label, value)])]."""
    out = []
    for title, names in sections:
        facts = []
        for name in names:
            field = Household._meta.get_field(name)
            value = getattr(household, name)
            facts.append(
                (str(field.verbose_name), _display(field, name, value, sees_identifiers=sees_identifiers))
            )
        out.append((title, facts))
    return out


def describe(entry: AuditEntry, *, sees_identifiers: bool) -> AuditLine:
    model = MODELS.get(entry.target_type)
    changes = []
    recorded = opened_changes(entry.changes)  # stored with personal values encrypted (audit.chain)
    if not sees_identifiers:
        recorded = masking.mask_changes(recorded)  # nested values too (a change request's members)
    for name, pair in recorded.items():
        if name in HIDDEN or not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        field = _field(model, name)
        label = field.verbose_name if field is not None else EXTRA_LABELS.get(name, name)
        old, new = (_display(field, name, v, sees_identifiers=sees_identifiers) for v in pair)
        changes.append(Change(str(label), old, new))
    target = entry.target_label
    if entry.target_type in ("incomerecord", "guaranteecheck"):
        target = _("%(year)s年") % {"year": entry.target_label}
    who = entry.username
    if entry.user and entry.user.full_name and entry.user.full_name != entry.username:
        who = f"{entry.user.full_name}（{entry.username}）"
    return AuditLine(
        at=entry.at,
        who=who,
        role=role_label(entry.role),
        action=str(ACTIONS.get(entry.action, entry.action)),
        target=target,
        changes=changes,
    )
