"""Root URLs: the web UI, the JSON API under /api/v1/, the admin. Uploaded files have no public route."""

from django.contrib import admin
from django.urls import include, path

from fupin.api import api

urlpatterns = [
    # The public pages first: they take the most requests from outside (a household's phone, a poster's QR
    # code), and each resolves before the staff pages' patterns are tried.
    path("declare/", include("fupin.declarations.public_urls")),
    path("public/", include("fupin.disclosure.urls")),
    path("", include("fupin.core.urls")),
    path("accounts/", include("fupin.accounts.urls")),
    path("regions/", include("fupin.regions.urls")),
    path("households/", include("fupin.registry.urls")),
    path("procedures/", include("fupin.procedures.urls")),
    path("assistance/", include("fupin.assistance.urls")),
    path("audit/", include("fupin.audit.urls")),
    path("access-log/", include("fupin.access.urls")),
    path("monitoring/", include("fupin.monitoring.urls")),
    path("funds/", include("fupin.funds.urls")),
    path("reports/", include("fupin.reports.urls")),
    path("changes/", include("fupin.changes.urls")),
    path("declarations/", include("fupin.declarations.urls")),
    path("field/", include("fupin.field.urls")),
    path("subscriptions/", include("fupin.subscriptions.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
# The database away (restarting, unreachable): a 503 page in Chinese instead of a 500
# (fupin.core.unavailable).
handler500 = "fupin.core.unavailable.server_error"
# Nothing under MEDIA_ROOT is served by its path: each stored file has a view that checks who may read its
# record (fupin.core.downloads).
