"""Issue 18, finding 11: every form marks its required fields and labels every input, not only the service
forms."""

from django.urls import reverse


def test_a_plain_form_marks_its_required_fields_and_labels_its_inputs(client, users):
    client.force_login(users["county"])
    page = client.get(
        reverse("procedures:settings")
    ).content.decode()  # procedures.forms.SettingsForm, a forms.Form
    assert 'for="id_notice_days">公示天数<span class="req" aria-hidden="true">*</span></label>' in page
    assert 'for="id_supervision_phone">监督举报电话</label>' in page  # optional: no mark
