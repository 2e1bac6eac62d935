"""How a change request reads on a page and in the API: its change as rows of before → after.

The before side is what the request was made against (`ChangeRequest.before`), so the reviewer
sees what the village saw; ID numbers and phones are masked for roles that do not work with them.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from fupin.core import idnumber
from fupin.core.formats import yuan
from fupin.registry import codes
from fupin.registry.models import GUARANTEE_LABELS, GUARANTEES, IncomeRecord, Member

from .models import ChangeKind, JoinCause, LeaveCause

# The birth date is the ID number's middle digits: hidden wherever the number is masked.
MASKED = {"id_number": idnumber.mask, "phone": idnumber.mask_phone, "birth_date": lambda value: "****-**-**"}


@dataclass(frozen=True)
class Row:
    label: str
    before: str
    after: str


def _choice(choices, value) -> str:
    return str(dict(choices.choices).get(value, value or "—"))


def _members(state: dict) -> dict[int, dict]:
    return {m["id"]: m for m in (state or {}).get("members", [])}


def _who(state: dict, pk) -> str:
    m = _members(state).get(int(pk)) if pk else None
    return f"{m['name']}（{_choice(codes.Relation, m['relation'])}）" if m else f"#{pk}"


def _size(state: dict) -> int:
    return len((state or {}).get("members", []))


def _member_value(name: str, value, *, sees_identifiers: bool) -> str:
    if value in (None, ""):
        return "—"
    if name in MASKED and not sees_identifiers:
        return MASKED[name](str(value))
    field = Member._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return str(value)


def rows(request, *, sees_identifiers: bool) -> list[Row]:
    """The request's rows (what, before, after) for its kind; identifiers masked for who may not see them."""
    build = _ROWS.get(request.kind)
    if build is None:
        return []
    before = request.before
    return build(request.payload, before, before.get("household", {}), sees_identifiers)


def _member_join_rows(p: dict, before: dict, home: dict, sees_identifiers: bool) -> list[Row]:
    size = _("家庭人口数")
    out = [Row(_("增员原因"), "—", _choice(JoinCause, p["cause"]))]
    for name, value in p["member"].items():
        if value in (None, "", False) and name not in ("name", "id_number", "relation"):
            continue
        out.append(
            Row(
                str(Member._meta.get_field(name).verbose_name),
                "—",
                _member_value(name, value, sees_identifiers=sees_identifiers),
            )
        )
    return out + [Row(size, str(_size(home)), str(_size(home) + 1))]


def _member_leave_rows(p: dict, before: dict, home: dict, sees_identifiers: bool) -> list[Row]:
    size = _("家庭人口数")
    out = [
        Row(_("减员成员"), _who(home, p["member_id"]), "—"),
        Row(_("减员原因"), "—", _choice(LeaveCause, p["cause"])),
    ]
    if p.get("new_head_id"):
        out.append(Row(_("户主"), _who(home, p["member_id"]), _who(home, p["new_head_id"]).split("（")[0]))
    return out + [Row(size, str(_size(home)), str(_size(home) - 1))]


def _change_head_rows(p: dict, before: dict, home: dict, sees_identifiers: bool) -> list[Row]:
    head = next((m for m in home.get("members", []) if m["relation"] == codes.Relation.HEAD), None)
    out = [Row(_("户主"), head["name"] if head else "—", _who(home, p["new_head_id"]).split("（")[0])]
    if head:
        out.append(
            Row(
                _("原户主与户主关系"),
                _choice(codes.Relation, codes.Relation.HEAD),
                _choice(codes.Relation, p["former_head_relation"]),
            )
        )
    return out


def _move_member_rows(p: dict, before: dict, home: dict, sees_identifiers: bool) -> list[Row]:
    target = before.get("target", {})
    moved = _members(home).get(p["member_id"], {})
    return [
        Row(_("成员"), moved.get("name", "—"), moved.get("name", "—")),
        Row(_("所在户"), home.get("number", ""), target.get("number", "")),
        Row(
            _("与户主关系"),
            _choice(codes.Relation, moved.get("relation")),
            _choice(codes.Relation, p["relation"]),
        ),
        Row(_("原户人口"), str(_size(home)), str(_size(home) - 1)),
        Row(_("迁入户人口"), str(_size(target)), str(_size(target) + 1)),
    ]


def _split_household_rows(p: dict, before: dict, home: dict, sees_identifiers: bool) -> list[Row]:
    size = _("家庭人口数")
    out = [
        Row(
            _who(home, pk).split("（")[0],
            f"{home.get('number', '')}"
            f"（{_choice(codes.Relation, _members(home).get(int(pk), {}).get('relation'))}）",
            f"{_('新立户')}（{_choice(codes.Relation, relation)}）",
        )
        for pk, relation in p["relations"].items()
    ]
    return out + [Row(size, str(_size(home)), str(_size(home) - len(p["relations"])))]


def _merge_households_rows(p: dict, before: dict, home: dict, sees_identifiers: bool) -> list[Row]:
    size = _("家庭人口数")
    other = before.get("other", {})
    out = []
    for m in other.get("members", []):
        relation = p["absorbed_head_relation"] if m["relation"] == codes.Relation.HEAD else m["relation"]
        out.append(
            Row(
                m["name"],
                f"{other.get('number', '')}（{_choice(codes.Relation, m['relation'])}）",
                f"{home.get('number', '')}（{_choice(codes.Relation, relation)}）",
            )
        )
    return out + [
        Row(size, str(_size(home)), str(_size(home) + _size(other))),
        Row(
            _("户 %(number)s 的户状态") % {"number": other.get("number", "")},
            _choice(codes.HouseholdStatus, other.get("status")),
            _choice(codes.HouseholdStatus, codes.HouseholdStatus.REMOVED),
        ),
    ]


def _type_change_rows(p: dict, before: dict, home: dict, sees_identifiers: bool) -> list[Row]:
    return [
        Row(
            _("贫困户属性"),
            _choice(codes.HouseholdType, home.get("household_type")),
            _choice(codes.HouseholdType, p["household_type"]),
        )
    ]


def _status_correction_rows(p: dict, before: dict, home: dict, sees_identifiers: bool) -> list[Row]:
    return [
        Row(
            _("户状态"),
            _choice(codes.HouseholdStatus, home.get("status")),
            _choice(codes.HouseholdStatus, p["status"]),
        ),
        Row(_("识别年度"), str(home.get("registration_year") or "—"), str(p.get("registration_year") or "—")),
        Row(_("脱贫年度"), str(home.get("exit_year") or "—"), str(p.get("exit_year") or "—")),
    ]


def _income_correction_rows(p: dict, before: dict, home: dict, sees_identifiers: bool) -> list[Row]:
    old = before.get("income", {})
    out = [Row(_("年度"), str(p["year"]), str(p["year"]))]
    for name in (
        *IncomeRecord.INCOME_FIELDS,
        "productive_expenditure",
        "household_size",
        "per_capita_net_income",
    ):
        label = str(IncomeRecord._meta.get_field(name).verbose_name)
        show = str if name == "household_size" else yuan
        if old.get(name) != p.get(name) or name == "per_capita_net_income":
            out.append(Row(label, show(old.get(name)), show(p.get(name))))
    return out


def _member_identity_rows(p: dict, before: dict, home: dict, sees_identifiers: bool) -> list[Row]:
    old = before.get("member", {})
    id_number = _member_value("id_number", p["id_number"], sees_identifiers=sees_identifiers)
    return [
        Row(_("成员"), _who(home, p["member_id"]), _who(home, p["member_id"])),
        Row(
            str(Member._meta.get_field("id_number").verbose_name),
            _member_value("id_number", old.get("id_number"), sees_identifiers=sees_identifiers),
            id_number,
        ),
        Row(str(Member._meta.get_field("name").verbose_name), old.get("name", "—"), p["name"]),
    ]


def _guarantee_correction_rows(p: dict, before: dict, home: dict, sees_identifiers: bool) -> list[Row]:
    old = before.get("guarantees", {})
    old_items = old.get("items") or {}
    met = {True: _("达标"), False: _("未达标"), None: "—"}
    out = [Row(_("年度"), str(p["year"]), str(p["year"]))]
    for g in GUARANTEES:
        note, old_note = p["notes"].get(g, ""), (old.get("notes") or {}).get(g, "")
        if old_items.get(g) != p["items"][g] or note != old_note:
            out.append(
                Row(
                    str(GUARANTEE_LABELS[g]),
                    " ".join(filter(None, [str(met[old_items.get(g)]), old_note])),
                    " ".join(filter(None, [str(met[p["items"][g]]), note])),
                )
            )
    if old.get("checked_on") != p["checked_on"]:
        out.append(Row(_("核查日期"), old.get("checked_on") or "—", p["checked_on"]))
    return out


_ROWS = {
    ChangeKind.MEMBER_JOIN: _member_join_rows,
    ChangeKind.MEMBER_LEAVE: _member_leave_rows,
    ChangeKind.CHANGE_HEAD: _change_head_rows,
    ChangeKind.MOVE_MEMBER: _move_member_rows,
    ChangeKind.SPLIT_HOUSEHOLD: _split_household_rows,
    ChangeKind.MERGE_HOUSEHOLDS: _merge_households_rows,
    ChangeKind.TYPE_CHANGE: _type_change_rows,
    ChangeKind.STATUS_CORRECTION: _status_correction_rows,
    ChangeKind.INCOME_CORRECTION: _income_correction_rows,
    ChangeKind.MEMBER_IDENTITY: _member_identity_rows,
    ChangeKind.GUARANTEE_CORRECTION: _guarantee_correction_rows,
}


def summary(request) -> str:
    """One line naming what the request changes, for lists."""
    p, home = request.payload, request.before.get("household", {})
    kind = request.kind
    if kind == ChangeKind.MEMBER_JOIN:
        return f"{_choice(JoinCause, p['cause'])}：{p['member'].get('name', '')}"
    if kind == ChangeKind.MEMBER_LEAVE:
        return f"{_choice(LeaveCause, p['cause'])}：{_who(home, p['member_id']).split('（')[0]}"
    if kind == ChangeKind.CHANGE_HEAD:
        return _("新户主：%(name)s") % {"name": _who(home, p["new_head_id"]).split("（")[0]}
    if kind == ChangeKind.MOVE_MEMBER:
        return _("%(name)s 转入户 %(number)s") % {
            "name": _who(home, p["member_id"]).split("（")[0],
            "number": request.before.get("target", {}).get("number", ""),
        }
    if kind == ChangeKind.SPLIT_HOUSEHOLD:
        return _("分出 %(n)s 人") % {"n": len(p["relations"])}
    if kind == ChangeKind.MERGE_HOUSEHOLDS:
        return _("并入户 %(number)s") % {"number": request.before.get("other", {}).get("number", "")}
    if kind == ChangeKind.TYPE_CHANGE:
        return _choice(codes.HouseholdType, p["household_type"])
    if kind == ChangeKind.STATUS_CORRECTION:
        return _choice(codes.HouseholdStatus, p["status"])
    if kind == ChangeKind.INCOME_CORRECTION:
        return _("%(year)s年，年人均纯收入 %(income)s 元") % {
            "year": p["year"],
            "income": yuan(p["per_capita_net_income"]),
        }
    if kind == ChangeKind.MEMBER_IDENTITY:
        return _("%(name)s 的身份证号、姓名") % {"name": request.before.get("member", {}).get("name", "")}
    if kind == ChangeKind.GUARANTEE_CORRECTION:
        unmet = [str(GUARANTEE_LABELS[g]) for g in GUARANTEES if not p["items"][g]]
        return _("%(year)s年：%(result)s") % {
            "year": p["year"],
            "result": _("未达标：%(items)s") % {"items": "、".join(unmet)} if unmet else _("全部达标"),
        }
    return ""
