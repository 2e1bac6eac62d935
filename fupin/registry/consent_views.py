"""The household's consents (电子授权书) on its page: recording one per member (scanned paper, a signature
drawn on a phone, or in person), withdrawing one, and its file. fupin.registry.consents holds the rules."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from fupin.core.downloads import file_view, stored_file_response
from fupin.core.forms import DateBox, ServiceForm
from fupin.regions import selectors as regions

from . import consents
from .models import Consent, ConsentMethod, ConsentScope
from .services import RegistryError
from .views import ensure_editor, household_or_404


class ConsentForm(ServiceForm):
    member = forms.TypedChoiceField(label=gettext_lazy("授权成员"), coerce=int)
    given_on = forms.DateField(label=gettext_lazy("授权日期"), widget=DateBox())
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("授权核对的数据"),
        choices=ConsentScope.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    method = forms.ChoiceField(
        label=gettext_lazy("授权方式"), choices=ConsentMethod.choices, widget=forms.RadioSelect
    )
    upload = forms.FileField(label=gettext_lazy("授权书扫描件（纸质授权时）"), required=False)
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
    error_fields = {"reason": "__all__"}

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [(m.pk, f"{m.name}（{m.get_relation_display()}）") for m in members]


@login_required
@require_http_methods(["GET", "POST"])
def consent_record(request, pk):
    user = request.user
    household = household_or_404(user, pk)
    ensure_editor(user)
    members = list(household.members.all())
    form = ConsentForm(
        request.POST or None,
        request.FILES or None,
        members=members,
        initial={
            "given_on": timezone.localdate(),
            "scopes": ConsentScope.values,
            "method": ConsentMethod.IN_PERSON,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = next(m for m in members if m.pk == data["member"])
        try:
            consents.record_consent(
                member,
                by=user,
                given_on=data["given_on"],
                scopes=data["scopes"],
                method=data["method"],
                upload=data.get("upload"),
                signature=data.get("signature") or "",
            )
        except RegistryError as e:
            form.add_service_errors(e.errors)
        else:
            messages.success(request, _("已登记 %(name)s 的经济状况核对授权。") % {"name": member.name})
            return redirect(reverse("registry:household_detail", args=[household.pk]) + "#consents")
    return render(
        request,
        "registry/consent_form.html",
        {"form": form, "household": household, "path": regions.path_for(user, household.village)},
    )


@login_required
@require_POST
def consent_withdraw(request, pk, consent_pk):
    user = request.user
    household = household_or_404(user, pk)
    ensure_editor(user)
    consent = Consent.objects.filter(household=household, pk=consent_pk).first()
    if consent is None:
        raise Http404(_("授权不存在"))
    try:
        consents.withdraw_consent(consent, by=user, reason=request.POST.get("reason", ""))
    except RegistryError as e:
        messages.error(request, "；".join(str(v) for v in e.errors.values()))
    else:
        messages.success(request, _("授权已撤回。"))
    return redirect(reverse("registry:household_detail", args=[household.pk]) + "#consents")


@file_view
def consent_file(request, pk, consent_pk):
    household = household_or_404(request.user, pk)
    consent = Consent.objects.get(household=household, pk=consent_pk)  # none: a 404 (file_view)
    return stored_file_response(consent.evidence, filename=f"授权书-{consent.pk}", attachment=True)
