"""gunicorn's settings for serving fupin: `gunicorn -c python:fupin.gunicorn_conf fupin.wsgi`.

One process per core (WEB_CONCURRENCY overrides), each with a few threads (FUPIN_THREADS) so that one
request's database round trips overlap another's Python; keep-alive, since browsers and load
generators reuse their connections. Each worker loads what the first page would, then freezes
its objects out of the garbage collector's sight: a full collection would otherwise walk a few
hundred thousand long-lived objects in the middle of some request.
"""
import gc
import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
threads = int(os.environ.get("FUPIN_THREADS", "4"))
keepalive = 5


def post_worker_init(worker):
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
