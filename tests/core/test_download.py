"""Files fupin makes on the spot (exports, templates, handbooks, notices) leave through one helper."""

from urllib.parse import quote

from django.urls import reverse

from fupin.core.downloads import download


def test_an_export_is_an_attachment_whose_chinese_name_arrives_intact():
    response = download(b"PK\x03\x04 workbook", "帮扶监测_2025年6月.xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert (
        response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('帮扶监测_2025年6月.xlsx')}"
    )
    assert response.getvalue() == b"PK\x03\x04 workbook" and response["Content-Length"] == "13"


def test_a_pdf_may_be_shown_inline_and_an_unknown_type_is_opaque():
    pdf = download(b"%PDF-1.7", "notice-3.pdf", inline=True)
    assert (
        pdf["Content-Type"] == "application/pdf"
        and pdf["Content-Disposition"] == 'inline; filename="notice-3.pdf"'
    )
    assert download(b"?", "data.bin")["Content-Type"] == "application/octet-stream"


def test_the_helpers_import_template_downloads_under_its_chinese_name(users, client):
    client.force_login(users["county"])
    response = client.get(reverse("assistance:helper_template"))
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('帮扶责任人导入模板.xlsx')}"
    )
    assert response.getvalue()[:2] == b"PK"
