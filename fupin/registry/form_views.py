"""The household registration form (贫困户登记表) as a PDF from the household page: masked, or with the full
ID numbers after the reveal-with-purpose step, which the access log records (fupin.registry.national_form)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from fupin.audit.access import Channel
from fupin.core.downloads import download

from . import national_form, reveal
from .models import Household
from .reveal_views import RevealForm
from .services import RegistryError
from .views import household_or_404


@login_required
@require_http_methods(["GET", "POST"])
def household_form_pdf(request, pk):
    """GET: the form with ID numbers masked. POST with a purpose: with them in full, logged."""
    household = household_or_404(request.user, pk)
    full_ids = False
    if request.method == "POST":
        form = RevealForm(request.POST)
        try:
            reveal.ensure_may_reveal(request.user)
            if not form.is_valid():
                raise RegistryError({"purpose": gettext("请选择打印完整身份证号的用途")})
            full_ids = bool(
                reveal.reveal(
                    household.members.all(),
                    by=request.user,
                    fields={"id_number"},
                    purpose=form.cleaned_data["purpose"],
                    note=form.cleaned_data["note"],
                    channel=Channel.PRINT,
                    household=household,
                )
            )
        except (RegistryError, PermissionDenied) as e:
            messages.error(request, str(e))
            return redirect("registry:household_detail", pk=household.pk)
    households = national_form.form_households(Household.objects.filter(pk=household.pk))
    pdf = national_form.render_forms_pdf(households, full_ids=full_ids)
    return download(pdf, national_form.form_filename(household), inline=not request.GET.get("download"))
