"""The county's access log (个人信息查看记录): who saw which persons' full ID numbers, phones and bank accounts,
when and why; filterable by user and person, exportable to .xlsx."""

import io

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from fupin.core import spreadsheets
from fupin.core.downloads import download
from fupin.core.pagination import page_of
from fupin.core.params import int_param

from . import selectors

PAGE_SIZE = 50
EXPORT_CAP = 100_000


def _filters(request) -> dict:
    return {
        "username": request.GET.get("user", "")[:150],
        "id_number": request.GET.get("id_number", "")[:18],
        "member": int_param(request.GET.get("member"), None),
    }


@login_required
def access_log(request):
    filters = _filters(request)
    page = page_of(request, selectors.log_for(request.user, **filters), per_page=PAGE_SIZE)
    return render(
        request,
        "access/log.html",
        {
            "page": page,
            "lines": selectors.lines(list(page.object_list)),
            "filters": filters,
            "query": request.GET.urlencode(),
        },
    )


@login_required
def access_log_export(request):
    entries = list(selectors.log_for(request.user, **_filters(request))[:EXPORT_CAP])
    workbook = spreadsheets.new_workbook()
    sheet = workbook.active
    sheet.title = "查看记录"
    spreadsheets.append(
        sheet, ["时间", "查看人", "角色", "方式", "用途", "字段", "人数", "人员", "审计链", "链内序号"]
    )
    for line in selectors.lines(entries):
        e = line.entry
        spreadsheets.append(
            sheet,
            [
                timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                e.username,
                line.role,
                line.channel,
                line.purpose,
                "、".join(line.fields),
                len(line.persons),
                "、".join(name for _m, name, _h in line.persons),
                e.chain,
                e.seq,
            ],
        )
    out = io.BytesIO()
    spreadsheets.save(workbook, out)
    return download(out.getvalue(), f"个人信息查看记录-{timezone.localdate():%Y%m%d}.xlsx")
