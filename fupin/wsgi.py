"""WSGI entry point (granian through `fupin serve`, or any WSGI server). Each server process loads what the
first page would, then freezes its objects out of the garbage collector's sight: a full collection would
otherwise walk a few hundred thousand long-lived objects in the middle of some request."""

import gc
import os

from django.core.wsgi import get_wsgi_application

from fupin.core.crypto import refuse_missing_keys_in_production
from fupin.secret_key import refuse_unset_key_in_production

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
application = get_wsgi_application()
refuse_missing_keys_in_production()  # and data keys (fupin.core.crypto)
# a server on a DATABASE_URL with DEBUG off needs SECRET_KEY (fupin.secret_key)
refuse_unset_key_in_production()


def warm_up() -> None:
    from django.template.loader import get_template
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018  (imports every app's views)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            translation.gettext("贫困户")
    get_template("registry/household_list.html")
    gc.collect()
    gc.freeze()


warm_up()
