"""A search by ID number leaves no number in any request line (the server's and a proxy's access logs), nor in
the browser's address bar, history or bookmarks (issue 17), nor in a link copied from there.

The search forms that take an ID number (the household list's `q`, the access log's `id_number`) are POSTed
to core:id_search, which puts each such value that holds a digit (a number, or the first digits
typed of one) in the user's session under a token ("~" and random letters) and answers 303 See Other to the
page with the token in its place: the number travels only in the POST's body. A GET page whose search
parameters (`q`, `id_number`) hold a token gets the value back before any view reads the query, so every
view, form and cache key works as before; the links the page answers with (its pages, its export) name the
token again, never the value. A GET that does carry a number (an old bookmark, a typed address) is answered
as asked, and the address the browser keeps is the same one with the token in its place: a full page names
it in <meta name="fupin-replace-url"> (fupin.js puts it in the history with replaceState), an htmx search
that pushes its address gets it as HX-Push-Url. A token is good only in the session that made it; a session
keeps its last KEEP. API requests (programs, not browsers) are left alone.

Such a request line names the number once: fupin's own logs mask it (fupin.core.logs)."""

import re
import secrets
from collections.abc import Callable
from urllib.parse import quote_plus, urlencode

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme

PARAMS = ("q", "id_number")
ID_LIKE = re.compile(r"\s*[0-9]{5,17}[0-9Xx]\s*")
HAS_DIGIT = re.compile(r"[0-9]")
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


def _rewrite_links(response: HttpResponse, hidden: list[tuple[str, str, str]]) -> None:
    """The page's own links (its pages, its export, a reveal) with the token in place of each searched
    value."""
    if response.status_code != 200 or response.streaming:
        return
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    content = response.content
    for key, value, token in hidden:
        for encoded in {quote_plus(value), value}:
            pattern = re.compile(
                rb"(?<=[?&;])" + re.escape(f"{key}={encoded}".encode()) + rb"(?=[&\"'#]|$)", re.M
            )
            content = pattern.sub(f"{key}={token}".encode(), content)
    response.content = content


class IdQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _applies(request):
            return self.get_response(request)
        items = [(k, v) for k, values in request.GET.lists() for v in values]
        saved = dict(request.session.get(SESSION_KEY) or {})
        tokens = {(k, v) for k, v in items if k in PARAMS and TOKEN.fullmatch(v)}
        opened = [(k, saved.get(v, "") if (k, v) in tokens else v) for k, v in items]
        if opened != items:
            request.META["QUERY_STRING"] = urlencode(opened)
            request.GET = QueryDict(request.META["QUERY_STRING"])

        def hide(key: str, value: str, given_as_token: bool) -> str:
            if key in PARAMS and value.strip() and (given_as_token or ID_LIKE.fullmatch(value)):
                return _token_for(value.strip(), saved)
            return value

        hidden = [(k, hide(k, v, (k, t) in tokens)) for (k, v), (_k, t) in zip(opened, items, strict=True)]
        if hidden == opened:  # nothing searched by number, or only by a token this session never made
            return self.get_response(request)
        if saved != request.session.get(SESSION_KEY):
            request.session[SESSION_KEY] = saved
        response = self.get_response(request)
        hidden_values = [(k, v, h) for (k, v), (_k, h) in zip(opened, hidden, strict=True) if v != h and v]
        _rewrite_links(response, hidden_values)
        _hide(response, request, f"{request.path}?{urlencode(hidden)}")
        return response


def exchange(request: HttpRequest, fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A search form's fields, each searched value that holds a digit put in the session under a token."""
    saved = dict(request.session.get(SESSION_KEY) or {})
    out = [(k, _token_for(v.strip(), saved) if k in PARAMS and HAS_DIGIT.search(v) else v) for k, v in fields]
    request.session[SESSION_KEY] = saved
    return out


def search_address(request: HttpRequest) -> str | None:
    """Where a POSTed search form goes (its `next`, the page's path, with its fields, the searched values as
    tokens); None when `next` is not a page of this site."""
    target = request.POST.get("next", "")
    if (
        not target.startswith("/")
        or target.startswith(API_PREFIX)
        or "?" in target
        or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return None
    fields = [
        (k, v)
        for k, values in request.POST.lists()
        for v in values
        if k not in ("csrfmiddlewaretoken", "next")
    ]
    return f"{target}?{urlencode(exchange(request, fields))}"
