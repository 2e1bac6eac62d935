"""Issue 18, finding 6: no admin page lists the whole region tree in a <select> (665,288 options nationally).

Every foreign key or many-to-many to Region on every registered admin's form is a raw-id box or an
autocomplete (search as you type), and the add pages render without one <option> per region.
"""

import pytest
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple, ForeignKeyRawIdWidget
from django.forms import ModelChoiceField
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from fupin.regions.models import Region

SEARCHABLE = (AutocompleteSelect, AutocompleteSelectMultiple, ForeignKeyRawIdWidget)


def _region_fields(form_class):
    for name, field in form_class.base_fields.items():
        if isinstance(field, ModelChoiceField) and field.queryset.model is Region:
            widget = getattr(field.widget, "widget", field.widget)  # unwrap RelatedFieldWidgetWrapper
            yield name, widget


def test_no_admin_form_offers_every_region_as_an_option(db, users):
    request = RequestFactory().get("/")
    request.user = users["admin"]
    offenders = []
    for model, model_admin in admin.site._registry.items():
        if not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request)):
            continue  # read-only pages show the region as text
        form_class = model_admin.get_form(request)
        offenders += [
            f"{model.__name__}.{name}"
            for name, widget in _region_fields(form_class)
            if not isinstance(widget, SEARCHABLE)
        ]
    assert offenders == []


def test_the_add_pages_render_without_a_region_option(client, users):
    client.force_login(users["admin"])
    option_values = [
        f'<option value="{code}"' for code in Region.objects.values_list("code", flat=True) if len(code) >= 6
    ]
    for model in admin.site._registry:
        try:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        except NoReverseMatch:
            continue
        response = client.get(url)
        if response.status_code == 403:  # read-only admins offer no add page
            continue
        assert response.status_code == 200, url
        page = response.content.decode()
        assert not [v for v in option_values if v in page], url


@pytest.mark.parametrize(
    "app_label, model_name, field_name",
    [("procedures", "proceduresettings", "county"), ("monitoring", "lookback", "region")],
)
def test_the_region_is_found_by_typing_part_of_its_name(client, users, app_label, model_name, field_name):
    client.force_login(users["admin"])
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": "信丰"},
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == ["360722"]
