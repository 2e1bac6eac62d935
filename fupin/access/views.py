"""The county's access log (个人信息查看记录): who saw which persons' full ID numbers, phones and bank
accounts, when and why; filterable by user and person, exportable to .xlsx."""

import io

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

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
    sheet.title = gettext("查看记录")
    spreadsheets.append(
        sheet,
        [
            gettext("时间"),
            gettext("查看人"),
            gettext("角色"),
            gettext("方式"),
            gettext("用途"),
            gettext("字段"),
            gettext("人数"),
            gettext("人员"),
            gettext("审计链"),
            gettext("链内序号"),
        ],
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
    return download(
        out.getvalue(),
        gettext("个人信息查看记录-%(localdate)s.xlsx")
        % {"localdate": format(timezone.localdate(), "%Y%m%d")},
    )
