"""Registry pages: thin views that parse input, call a selector or a service, and render.

Reads go through selectors (scope applied there): a record outside the user's region is
a 404, never a page that confirms it exists. Writes go through services, which audit and
check scope again; a read-only role is refused with a 403 before any form is shown.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fupin.accounts.permissions import VILLAGE_ROLES, has_role
from fupin.audit.access import Channel, Purpose
from fupin.core import formats, fragments, idnumber, todo, versions
from fupin.core.lookup import get_in_scope
from fupin.core.pagination import page_of
from fupin.core.params import request_year
from fupin.regions import selectors as regions
from fupin.regions.models import Region, RegionLevel

from . import codes, display, masking, reveal, selectors, services
from .forms import (
    HOUSEHOLD_SECTIONS,
    GuaranteeForm,
    HouseholdFilterForm,
    HouseholdForm,
    IncomeForm,
    MemberForm,
    RemoveMemberForm,
)
from .models import GUARANTEE_LABELS, GUARANTEES, GuaranteeCheck, Household, IncomeRecord, Member

# Counting stops here (see fupin.core.pagination); a search is for finding someone, so its cap is lower.
LIST_CAP = 10_000
SEARCH_CAP = 1_000
# Where the full page's template leaves room for the results (a comment: no escaped input can spell it).
RESULTS_MARK = "<!--household-results-->"
HISTORY_ON_PAGE = 20
HISTORY_PAGE_SIZE = 50
# The household page shows the form's sections, the first one led by the number, village and size.
DETAIL_SECTIONS = [
    (HOUSEHOLD_SECTIONS[0][0], ["number", "village", "size"] + HOUSEHOLD_SECTIONS[0][1])
] + HOUSEHOLD_SECTIONS[1:]


def _ensure_reader(user):
    if user.scope_prefix is None:
        raise PermissionDenied(_("您的角色不能查看贫困户信息"))


def ensure_editor(user):
    if not user.can_edit_registry:
        raise PermissionDenied(_("您的角色只能查看，不能修改"))


def household_or_404(user, pk) -> Household:
    return get_in_scope(selectors.household_for, user, pk, message=_("户不存在或不在您的管辖范围内"))


def _member_or_404(user, household_pk, pk) -> Member:
    member = get_in_scope(selectors.member_for, user, pk, message=_("成员不存在或不在您的管辖范围内"))
    if member.household_id != household_pk:
        raise Http404(_("成员不存在或不在您的管辖范围内"))
    return member


def _region_in_scope(user, code: str) -> Region | None:
    try:
        return regions.region_for(user, code)
    except Region.DoesNotExist:
        return None


# --- the list -----------------------------------------------------------------------------


def _household_rows(households, labels: dict[str, str]) -> str:
    """The table rows of one page, written out here: a template loop costs ten times as much per row.

    Values are escaped; the ID numbers are always masked in lists, whoever reads them.
    """
    esc = {k: escape(v) for k, v in labels.items()}
    types, statuses, causes = (
        {value: escape(label) for value, label in choices.choices}
        for choices in (codes.HouseholdType, codes.HouseholdStatus, codes.PovertyCause)
    )
    # the household page's URL around its pk, reversed once instead of once per row
    before, after = reverse("registry:household_detail", args=[4242]).split("4242")
    no_head = escape(_("（未登记户主）"))
    rows = []
    for h in households:
        url = f"{before}{h.pk}{after}"
        ids = "".join(
            f'<span class="mono muted small">{escape(idnumber.mask(m.id_number))}</span>' for m in h.heads
        )
        group = f'<span class="muted small"> {escape(h.group.name)}</span>' if h.group_id else ""
        head = f'<a href="{url}"><strong>{escape(h.head_name) or no_head}</strong></a>'
        status = (
            f'<span class="badge status-{escape(h.status)}">'
            f"{statuses.get(h.status) or escape(h.status)}</span>"
        )
        rows.append(
            f'<tr><td data-label="{esc["number"]}"><a class="mono" href="{url}">{escape(h.number)}</a></td>'
            f'<td data-label="{esc["head"]}" class="head"><span>{head}{ids}</span></td>'
            f'<td data-label="{esc["village"]}"><span>{escape(h.village.name)}{group}</span></td>'
            f'<td data-label="{esc["size"]}" class="num">{h.size}</td>'
            f'<td data-label="{esc["type"]}">'
            f"{types.get(h.household_type) or escape(h.household_type) or '—'}</td>"
            f'<td data-label="{esc["status"]}">{status}</td>'
            f'<td data-label="{esc["cause"]}">'
            f"{causes.get(h.primary_cause) or escape(h.primary_cause) or '—'}</td>"
            f'<td data-label="{esc["income"]}" class="num">{escape(formats.yuan(h.latest_income))}</td></tr>'
        )
    return mark_safe("\n".join(rows))


def _list_results(request, user, filters: dict, ignored: list[str], region_error: str) -> str:
    """The results part of the list (notices, count, rows, pager), rendered."""
    households = selectors.household_rows(selectors.households_for(user, **filters))
    page = page_of(request, households, cap=SEARCH_CAP if filters.get("q") else LIST_CAP)
    paginator = page.paginator
    labels = {
        "number": _("户编号"),
        "head": _("户主"),
        "village": _("村"),
        "size": _("人口"),
        "type": _("属性"),
        "status": _("状态"),
        "cause": _("主要致贫原因"),
        "income": _("年人均纯收入"),
    }
    return render_to_string(
        "registry/_household_results.html",
        {
            "page": page,
            "paginator": paginator,
            "labels": labels,
            "rows": _household_rows(page.object_list, labels),
            "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "ignored": ignored,
            "region_error": region_error,
        },
        request,
    )


def _results_key(user, region, version: str, query: str, language: str) -> str:
    # with whether the reader sees identifiers: a search by part of an ID number finds nothing for those who
    # do not
    return fragments.key(
        "households",
        language,
        user.scope_prefix,
        user.sees_identifiers,
        region.code,
        version,
        query,
        settings.FUPIN_PAGE_SIZE,
        LIST_CAP,
        SEARCH_CAP,
    )


def _page_key(request, user, region, version: str, language: str) -> str:
    """The page around the results: per user (the header names them) and per full path."""
    return fragments.key(
        "household-list-page",
        language,
        user.pk,
        user.get_username(),
        user.full_name,
        user.role,
        user.region_id,
        user.is_staff,
        user.is_superuser,
        region.code,
        version.split(".")[1],
        request.get_full_path(),
    )


def _list_page(request, user, form, region, filters) -> str:
    """The list's page with a mark where the results go (fragments.csrf_mark for the token)."""
    return render_to_string(
        "registry/household_list.html",
        {
            "form": form,
            "region": region,
            "path": regions.path_for(user, region),
            "children": regions.children_for(user, region)
            if region is None or region.level < RegionLevel.VILLAGE
            else [],
            "filtered": bool(filters),
            "results": mark_safe(RESULTS_MARK),
            "csrf_token": fragments.csrf_mark(),
            # filled per request: the to-do items change by themselves
            "todo_panel": mark_safe(todo.PANEL_MARK),
            "todo_badge": mark_safe(todo.BADGE_MARK),
        },
        request,
    )


@login_required
def household_list(request):
    """The household list. A village's list is cached under the version of its data (selectors.list_region):

    the results by the reader's scope and the query, the rest of the page per user; a write to
    the village's households or members, or to any region, changes the version, so the next
    request renders afresh. Pages with messages to show are never cached.
    """
    user = request.user
    _ensure_reader(user)
    code = request.GET.get("region", "").strip()
    region, version = selectors.list_region(user, code or user.region_id or "")
    region_error = ""
    if code and region is None:
        region_error = _("所选区域不存在或不在您的管辖范围内，已显示您管辖范围内的全部户。")
        region, version = selectors.list_region(user, user.region_id or "")
    if region is not None and region.code == user.region_id:
        user.region = region  # the page header shows it: one query fewer
    # request.htmx's test, read from META: building request.headers for it was about a tenth of a cached
    # page's view
    partial = (
        request.META.get("HTTP_HX_REQUEST") == "true"
        and request.META.get("HTTP_HX_HISTORY_RESTORE_REQUEST") != "true"
    )
    query = request.META.get("QUERY_STRING", "")
    language = get_language()

    reveal.log_id_search(
        user, request.GET.get("q", "")
    )  # whose number it is: in the access log, cached or not
    # a whole-number ID search by a role that may not see ID numbers is counted (masking.allow_id_search):
    # never from the cache
    counted = not user.sees_identifiers and masking.is_whole_id(request.GET.get("q", ""))
    results_key = version and not counted and _results_key(user, region, version, query, language)
    results = fragments.get(results_key) if results_key else None
    page_key = (
        results_key
        and not partial
        and not len(messages.get_messages(request))
        and _page_key(request, user, region, version, language)
    )
    page = fragments.get(page_key) if page_key else None

    form = filters = None
    if results is None or (page is None and not partial):
        form = HouseholdFilterForm(request.GET)
        filters, ignored = form.filters()
        if region is not None and user.region_id != region.code:
            filters["region"] = region.code
        elif region is None:
            region = regions.home_region(user)
    if results is None:
        results = _list_results(request, user, filters, ignored, region_error)
        if results_key:
            fragments.put(results_key, results)

    if partial:
        response = HttpResponse(results)
    else:
        if page is None:
            page = _list_page(request, user, form, region, filters)
            if page_key:
                fragments.put(page_key, page)
        panel = todo.panel(request) if todo.on_landing(request) else ""
        page = (
            page.replace(RESULTS_MARK, results, 1)
            .replace(todo.PANEL_MARK, panel, 1)
            .replace(todo.BADGE_MARK, todo.badge(request), 1)
        )
        response = HttpResponse(fragments.with_csrf_token(request, page))
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- one household ------------------------------------------------------------------------


def _income_table(incomes: list[IncomeRecord]) -> list[tuple[str, str, list]]:
    """The incomes with years as columns and the form's items as rows: (label, kind, values)."""
    field = IncomeRecord._meta.get_field
    rows = [
        (field(f).verbose_name, "income", [getattr(i, f) for i in incomes])
        for f in ("wages", "production", "property_income")
    ]
    rows.append((_("转移性收入"), "subtotal", [i.transfers for i in incomes]))
    rows += [
        (field(f).verbose_name, "detail", [getattr(i, f) for i in incomes])
        for f in IncomeRecord.TRANSFER_FIELDS
    ]
    rows.append((_("总收入"), "subtotal", [i.total_income for i in incomes]))
    rows.append(
        (field("productive_expenditure").verbose_name, "income", [i.productive_expenditure for i in incomes])
    )
    rows.append((field("household_size").verbose_name, "count", [i.household_size for i in incomes]))
    rows.append(
        (field("per_capita_net_income").verbose_name, "total", [i.per_capita_net_income for i in incomes])
    )
    return rows


def _guarantee_years(checks: list[GuaranteeCheck]) -> list[dict]:
    return [
        {
            "check": c,
            "items": [(GUARANTEE_LABELS[g], getattr(c, g), (c.notes or {}).get(g, "")) for g in GUARANTEES],
            "unmet": len(c.unmet),
        }
        for c in checks
    ]


@login_required
def household_detail(request, pk):
    household = household_or_404(request.user, pk)
    return render(request, "registry/household_detail.html", detail_context(request, household))


def detail_context(
    request, household: Household, *, revealed: frozenset[str] = frozenset(), form=None
) -> dict:
    """The household page's content; sensitive values masked unless `revealed` (fupin.registry.reveal) names
    them, for every role: showing them is an explicit, logged act."""
    user = request.user
    members = sorted(household.members.all(), key=lambda m: (m.relation != codes.Relation.HEAD, m.pk))
    incomes = list(household.incomes.all())
    entries = list(selectors.household_history(household)[: HISTORY_ON_PAGE + 1])
    full = "id_number" in revealed
    return {
        "household": household,
        "path": regions.path_for(user, household.village),
        "sections": display.household_sections(household, DETAIL_SECTIONS, sees_identifiers=full),
        "members": members,
        "incomes": incomes,
        "income_rows": _income_table(incomes),
        "guarantee_years": _guarantee_years(list(household.guarantee_checks.all())),
        "entries": [display.describe(e, sees_identifiers=full) for e in entries[:HISTORY_ON_PAGE]],
        "more_history": len(entries) > HISTORY_ON_PAGE,
        "can_edit": user.can_edit_registry,
        "change_url": _change_url(user, household) if household.is_registered else "",
        "consents": list(household.consents.select_related("member")),
        "revealed": revealed,
        "reveal_form": form,
        "purposes": Purpose.choices,
    }


@login_required
def household_history(request, pk):
    user = request.user
    household = household_or_404(user, pk)
    page = page_of(request, selectors.household_history(household), per_page=HISTORY_PAGE_SIZE)
    return render(
        request,
        "registry/household_history.html",
        {
            "household": household,
            "path": regions.path_for(user, household.village),
            "page": page,
            "entries": [display.describe(e, sees_identifiers=False) for e in page.object_list],
        },
    )


# --- households: create and edit ----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def household_create(request):
    """A new household in a village: chosen from the region in the query string, or picked first."""
    user = request.user
    ensure_editor(user)
    code = request.GET.get("region", "").strip()
    base = _region_in_scope(user, code) if code else regions.home_region(user)
    if code and base is None:
        raise Http404(_("所选区域不存在或不在您的管辖范围内"))
    if base is None or base.level != RegionLevel.VILLAGE:
        return _village_picker(request, base)

    groups = list(regions.groups_of(base))
    form = HouseholdForm(request.POST or None, village=base, groups=groups)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        group = fields.pop("group")
        try:
            household = services.create_household(
                by=user, village_code=base.code, group_code=group.code if group else None, **fields
            )
        except services.RegistryError as e:
            form.add_service_errors(e.errors)
        else:
            messages.success(
                request, _("已新建户 %(number)s，请登记户主和家庭成员。") % {"number": household.number}
            )
            return redirect("registry:member_add", household.pk)
    return render(
        request,
        "registry/household_form.html",
        {
            "form": form,
            "village": base,
            "path": regions.path_for(user, base),
            "creating": True,
        },
    )


def _village_picker(request, base: Region | None):
    user = request.user
    villages = []
    if base is not None and base.level >= RegionLevel.COUNTY:
        villages = list(regions.villages_for(user, base))
    townships = {}
    for village in villages:
        townships.setdefault(village.parent, []).append(village)
    return render(
        request,
        "registry/village_picker.html",
        {
            "base": base,
            "path": regions.path_for(user, base),
            "townships": townships,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request, pk):
    user = request.user
    household = household_or_404(user, pk)
    ensure_editor(user)
    groups = list(regions.groups_of(household.village))
    form = HouseholdForm(
        request.POST or None,
        initial=HouseholdForm.initial_for(household),
        village=household.village,
        groups=groups,
        household=household,
    )
    fields = [name for name in form.fields if name in services.HOUSEHOLD_EDITABLE]
    conflict = None
    if request.method == "POST" and form.is_valid():
        saved, conflict = _save_edit(request, form, services.update_household, household, form.cleaned_data)
        if saved:
            messages.success(request, _("户信息已保存。"))
            return redirect("registry:household_detail", household.pk)
    return render(
        request,
        "registry/household_form.html",
        {
            "form": form,
            "household": household,
            "village": household.village,
            "path": regions.path_for(user, household.village),
            "change_url": _change_url(user, household),
            "conflict": conflict,
            "based_on": versions.form_state(request, household, fields, conflict),
        },
    )


def _save_edit(request, form, update, record, values: dict) -> tuple[bool, versions.VersionConflict | None]:
    """A record's edit form saved by `update` (a service taking the record, `by`, `expected_version` and
    `base`) on the version the form was based on, the merge form's "keep theirs" choices applied: (True,
    None) when saved, (False, the conflict) when another user saved it meanwhile, (False, None) when the
    service refused, its errors put on the form."""
    expected, base = versions.posted(request.POST)
    try:
        update(
            record,
            by=request.user,
            expected_version=expected,
            base=base,
            **versions.keep_theirs(values, request.POST, record),
        )
    except versions.VersionConflict as e:
        return False, e
    except services.RegistryError as e:
        form.add_service_errors(e.errors)
        return False, None
    return True, None


def _change_url(user, household: Household) -> str:
    """Where a village officer asks for a change a registered household's record takes ("" for others)."""
    return services.change_request_url(household) if has_role(user, *VILLAGE_ROLES) else ""


# --- members ------------------------------------------------------------------------------


def _locked_page(request, household: Household, what: str):
    """A registered household's members change only by a reviewed change request: say so, with the way
    there."""
    return render(
        request,
        "registry/locked.html",
        {
            "household": household,
            "what": what,
            "path": regions.path_for(request.user, household.village),
            "change_url": _change_url(request.user, household),
        },
        status=403,
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_add(request, pk):
    user = request.user
    household = household_or_404(user, pk)
    ensure_editor(user)
    if household.is_registered:
        return _locked_page(request, household, _("增加家庭成员"))
    has_head = household.members.filter(relation=codes.Relation.HEAD).exists()
    form = MemberForm(request.POST or None, initial={"relation": "" if has_head else codes.Relation.HEAD})
    if request.method == "POST" and form.is_valid():
        try:
            member = services.add_member(household, by=user, **form.service_fields())
        except services.RegistryError as e:
            form.add_service_errors(e.errors)
        else:
            messages.success(request, _("已添加成员 %(name)s。") % {"name": member.name})
            if request.POST.get("then") == "add":
                return redirect("registry:member_add", household.pk)
            return redirect("registry:household_detail", household.pk)
    return render(
        request,
        "registry/member_form.html",
        {
            "form": form,
            "household": household,
            "path": regions.path_for(user, household.village),
            "adding": True,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request, pk, member_pk):
    user = request.user
    member = _member_or_404(user, pk, member_pk)
    ensure_editor(user)
    household = member.household
    form = MemberForm(request.POST or None, initial=MemberForm.initial_for(member))
    if household.is_registered:
        form.lock_identity()
    fields = [name for name in form.fields if name in services.MEMBER_EDITABLE]
    conflict = None
    if request.method == "POST" and form.is_valid():
        saved, conflict = _save_edit(request, form, services.update_member, member, form.service_fields())
        if saved:
            messages.success(request, _("成员 %(name)s 的信息已保存。") % {"name": form.cleaned_data["name"]})
            return redirect("registry:household_detail", household.pk)
    # the form holds the member's ID number and phone in full: seeing them is logged (fupin.registry.reveal)
    reveal.log_seen([member], by=user, fields=("id_number", "phone"), channel=Channel.FORM, purpose="edit")
    return render(
        request,
        "registry/member_form.html",
        {
            "form": form,
            "household": household,
            "member": member,
            "path": regions.path_for(user, household.village),
            "conflict": conflict,
            "based_on": versions.form_state(request, member, fields, conflict),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request, pk, member_pk):
    user = request.user
    member = _member_or_404(user, pk, member_pk)
    ensure_editor(user)
    household = member.household
    if household.is_registered:
        return _locked_page(request, household, _("减员"))
    form = RemoveMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.remove_member(member, by=user, reason=form.reason_text())
        except services.RegistryError as e:
            form.add_service_errors(e.errors)
        else:
            messages.success(request, _("已将 %(name)s 从本户减员。") % {"name": member.name})
            return redirect("registry:household_detail", household.pk)
    return render(
        request,
        "registry/member_remove.html",
        {
            "form": form,
            "household": household,
            "member": member,
            "path": regions.path_for(user, household.village),
        },
    )


@login_required
@require_POST
def id_check(request):
    """Checks an ID number as it is typed (htmx): the same message the save would give, or what it says."""
    raw = request.POST.get("id_number", "")
    parsed, error = None, ""
    if raw.strip():
        try:
            parsed = idnumber.parse(raw)
        except idnumber.IdNumberError as e:
            error = str(e)
    age = idnumber.age_on(parsed.birth_date, timezone.localdate()) if parsed else None
    return render(request, "registry/_id_check.html", {"parsed": parsed, "error": error, "age": age})


# --- incomes and guarantees ---------------------------------------------------------------

INCOME_INPUTS = IncomeRecord.INCOME_FIELDS + ("productive_expenditure", "household_size")


@login_required
@require_http_methods(["GET", "POST"])
def income_record(request, pk):
    user = request.user
    household = household_or_404(user, pk)
    ensure_editor(user)
    this_year = timezone.localdate().year
    year = _posted_year(request, request_year(request, this_year))
    existing = household.incomes.filter(year=year).first()
    shown = IncomeForm.initial_for(existing) if existing else {"year": year}
    # Changing the year reloads the form (htmx) with what was typed so far: it is kept over the stored record.
    initial = shown | {name: request.GET[name] for name in INCOME_INPUTS if request.GET.get(name, "").strip()}
    data = versions.merged(request.POST, shown) if request.method == "POST" else None
    form = IncomeForm(data, initial=initial, household_size=household.size)
    form.show_previous(household.incomes.filter(year=year - 1).first())
    conflict = None
    if data is not None and form.is_valid():
        income, conflict = _save_year(request, form, data, services.record_income, household)
        existing = conflict.record if conflict else existing
        if income:
            messages.success(
                request,
                _("%(year)s年收入已保存，年人均纯收入 %(income)s 元。")
                % {
                    "year": income.year,
                    "income": formats.yuan(income.per_capita_net_income),
                },
            )
            return redirect("registry:household_detail", household.pk)
    return _year_page(request, "registry/income_form.html", form, household, existing, shown, conflict)


def _save_year(
    request, form, data, record, household: Household
) -> tuple[Any, versions.VersionConflict | None]:
    """A year's entry (income, guarantees) saved by `record` (a service taking the household, `by` and
    `expected_version`) on the version the page was based on: (the entry, None) when saved, (None, the
    conflict with what changed in the form's fields) when another user saved that year meanwhile, (None,
    None) when the service refused, its errors put on the form."""
    expected, base = versions.posted(data)
    try:
        entry = record(household, by=request.user, expected_version=expected, **form.service_fields())
    except versions.VersionConflict as e:
        return None, versions.form_conflict(e, form, type(form).initial_for(e.record), base)
    except services.RegistryError as e:
        form.add_service_errors(e.errors)
        return None, None
    return entry, None


def _year_page(request, template: str, form, household: Household, existing, shown: dict, conflict):
    """A year's entry form: the record it edits (`existing`), based on what the page showed (`shown`)."""
    return render(
        request,
        template,
        {
            "form": form,
            "household": household,
            "existing": existing,
            "path": regions.path_for(request.user, household.village),
            "conflict": conflict,
            "based_on": versions.page_state(request, existing, shown, conflict),
        },
    )


def _posted_year(request, year: int) -> int:
    """The year a posted entry names (the form's year field may differ from the address's ?year=)."""
    posted = request.POST.get("year", "") if request.method == "POST" else ""
    return int(posted) if posted.isdigit() and 2000 <= int(posted) <= 9999 else year


@login_required
@require_http_methods(["GET", "POST"])
def guarantees_record(request, pk):
    user = request.user
    household = household_or_404(user, pk)
    ensure_editor(user)
    year = _posted_year(request, request_year(request, timezone.localdate().year))
    existing = household.guarantee_checks.filter(year=year).first()
    initial = GuaranteeForm.initial_for(existing) if existing else GuaranteeForm.blank_initial(year)
    data = versions.merged(request.POST, initial) if request.method == "POST" else None
    form = GuaranteeForm(data, initial=initial)
    conflict = None
    if data is not None and form.is_valid():
        check, conflict = _save_year(request, form, data, services.record_guarantees, household)
        existing = conflict.record if conflict else existing
        if check:
            messages.success(request, _("%(year)s年两不愁三保障核查已保存。") % {"year": check.year})
            return redirect("registry:household_detail", household.pk)
    return _year_page(request, "registry/guarantee_form.html", form, household, existing, initial, conflict)
