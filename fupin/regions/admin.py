from django.contrib import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    list_per_page = 100
    show_full_result_count = False  # the national tree has some 700,000 rows

    def get_readonly_fields(self, request, obj=None):
        # a code is the region's identity: households and users point at it
        return ("code",) if obj else ()
