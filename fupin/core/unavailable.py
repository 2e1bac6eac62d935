"""The answer while the database is away (restarting, unreachable, locked past the busy timeout): a clear 503
in Chinese, not a 500, and the broken connection dropped so the next request connects afresh (no restart of
fupin)."""

import sys
from typing import Any

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

MESSAGE = "数据库暂时不可用（可能正在重启或维护），请稍后刷新重试。已保存的数据不受影响。"
RETRY_AFTER = "5"

# Written out, not rendered from base.html: the site's templates read the user and session from the database.
PAGE = f"""<!doctype html>
<html lang="zh-hans"><head><meta charset="utf-8"><title>服务暂时不可用</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto; padding: 0 1em">
<h1>服务暂时不可用</h1><p>{MESSAGE}</p><p><a href="">刷新</a></p></body></html>
"""


def database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError))


def drop_connections() -> None:
    """This thread's connections, closed whatever their state: the next query connects again."""
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except (
            Exception
        ):  # closing a connection the server already dropped can fail too: it is gone either way
            conn.connection = None


def unavailable_response(request: HttpRequest, *, json: bool = False) -> HttpResponse:
    drop_connections()
    if json or request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": "unavailable", "detail": MESSAGE}, status=503, json_dumps_params={"ensure_ascii": False}
        )
    else:
        response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = RETRY_AFTER
    return response


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """handler500: the database's absence answered as 503; any other error as Django's 500 page."""
    if database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    return defaults.server_error(request, *args, **kwargs)
