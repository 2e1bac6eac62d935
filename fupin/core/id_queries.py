"""A search by ID number leaves no number in the browser's address bar, history or bookmarks (issue 17), nor
in a link copied from there. A GET page whose search parameters (`q`, `id_number`) hold an ID number or its
last digits (six or more digits, an X allowed at the end) is answered as asked, but the address the browser
keeps is the same one with the number replaced by a token ("~" and random letters) kept in the user's session:
a full page names it in <meta name="fupin-replace-url"> (fupin.js puts it in the history with replaceState),
an htmx search that pushes its address gets it as HX-Push-Url. A request carrying a token gets the number back
before any view reads the query, so every view, form and cache key works as before. A token is good only in
the session that made it; a session keeps its last KEEP. API requests (programs, not browsers) are left alone.

The request line that carried the number names it once: fupin's own logs mask it (fupin.core.logs)."""

import re
import secrets
from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.html import escape

PARAMS = ("q", "id_number")
ID_LIKE = re.compile(r"\s*[0-9]{5,17}[0-9Xx]\s*")
TOKEN = re.compile(r"~[A-Za-z0-9_-]{8,32}")
SESSION_KEY = "fupin_id_queries"
API_PREFIX = "/api/"
KEEP = 50


def _token_for(value: str, saved: dict[str, str]) -> str:
    for token, known in saved.items():
        if known == value:
            return token
    token = "~" + secrets.token_urlsafe(9)
    saved[token] = value
    while len(saved) > KEEP:
        saved.pop(next(iter(saved)))
    return token


def _applies(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.path.startswith(API_PREFIX)
        and any(k in request.GET for k in PARAMS)
        and getattr(getattr(request, "user", None), "is_authenticated", False)
    )


def _pushes_own_address(request: HttpRequest) -> bool:
    """An htmx request from the page of the same address (the list's live search, which pushes its URL)."""
    current = request.headers.get("HX-Current-URL", "")
    return current.split("?")[0].endswith(request.path)


def _hide(response: HttpResponse, request: HttpRequest, address: str) -> None:
    if response.status_code != 200 or response.streaming:
        return
    if request.headers.get("HX-Request") == "true":
        if _pushes_own_address(request):
            response["HX-Push-Url"] = address
        return
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    meta = f'<meta name="fupin-replace-url" content="{escape(address)}">'.encode()
    if b"</head>" in response.content:
        response.content = response.content.replace(b"</head>", meta + b"</head>", 1)


class IdQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _applies(request):
            return self.get_response(request)
        items = [(k, v) for k, values in request.GET.lists() for v in values]
        saved = dict(request.session.get(SESSION_KEY) or {})
        opened = [(k, saved.get(v, "") if k in PARAMS and TOKEN.fullmatch(v) else v) for k, v in items]
        if opened != items:
            request.META["QUERY_STRING"] = urlencode(opened)
            request.GET = QueryDict(request.META["QUERY_STRING"])
        hidden = [
            (k, _token_for(v.strip(), saved) if k in PARAMS and ID_LIKE.fullmatch(v) else v)
            for k, v in opened
        ]
        if hidden == opened:
            return self.get_response(request)
        request.session[SESSION_KEY] = saved
        response = self.get_response(request)
        _hide(response, request, f"{request.path}?{urlencode(hidden)}")
        return response
