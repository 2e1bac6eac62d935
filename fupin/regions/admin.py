"""The division tree, read only: it changes only by loading the statistical codes (`fupin load-regions`),
which households, users and every scope point at; the admin's other pages search it as you type."""

from django.contrib import admin

from fupin.core.admin import ReadOnlyAdmin

from .models import Region


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    list_per_page = 100
    show_full_result_count = False  # the national tree has some 700,000 rows
