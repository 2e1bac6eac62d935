"""The household page's 「查看完整信息」: the members' ID numbers and phones (and the household's phone and
bank account) shown in full after the user gives a purpose; each reveal is logged (fupin.registry.reveal).
Other record pages (a change request, a declaration) post theirs through reveal_with_purpose, and show it with
the template registry/_reveal.html."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fupin.audit.access import Channel, Purpose
from fupin.core.forms import ServiceForm

from . import reveal
from .services import RegistryError
from .views import detail_context, household_or_404


class RevealForm(ServiceForm):
    purpose = forms.ChoiceField(label=_("查看用途"), choices=[("", "—")] + list(Purpose.choices))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


def reveal_with_purpose(request, record: Any, reveal_record: Callable[..., Any], page: Callable[..., Any]):
    """A record page's 「查看完整信息」 POST: `reveal_record(record, by=, purpose=, note=, channel=)` checks
    the purpose and logs the reading (RegistryError refuses it); `page(request, record, **options)` answers
    with the values shown (`revealed`), or with the form's errors and 422. A role that may not see
    identifiers gets 403 before the form is read."""
    reveal.ensure_may_reveal(request.user)
    form = RevealForm(request.POST)
    if form.is_valid():
        try:
            shown = reveal_record(
                record,
                by=request.user,
                purpose=form.cleaned_data["purpose"],
                note=form.cleaned_data["note"],
                channel=Channel.PAGE,
            )
        except RegistryError as e:
            form.add_service_errors(e.errors)
        else:
            return page(request, record, revealed=shown, reveal_form=form)
    return page(request, record, reveal_form=form, status=422)


@login_required
@require_POST
def household_reveal(request, pk):
    household = household_or_404(request.user, pk)
    reveal.ensure_may_reveal(request.user)
    form = RevealForm(request.POST)
    revealed: frozenset[str] = frozenset()
    if form.is_valid():
        try:
            revealed = reveal.reveal(
                household.members.all(),
                by=request.user,
                fields=reveal.REVEALS,
                purpose=form.cleaned_data["purpose"],
                note=form.cleaned_data["note"],
                household=household,
            )
        except RegistryError as e:
            form.add_service_errors(e.errors)
    context = detail_context(request, household, revealed=revealed, form=form)
    if request.headers.get("HX-Request"):
        return render(request, "registry/_members.html", context)  # htmx swaps 200s only
    return render(request, "registry/household_detail.html", context, status=200 if revealed else 422)
