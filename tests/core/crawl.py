"""The crawl shared by the client crawl test and the browser crawl: which links a page offers, which of them
to follow, and what text of a page is the product's own words (not data) — so "no Chinese in the English UI"
can be checked.

Data (names of people, places, units, households, anything a user typed or a file brought in) is Chinese in
either language. Rather than trusting templates to mark it, the check removes every Chinese value stored in
the database from the page's text first: what is left was written by the product and must be English.
"""

import re
from collections import deque
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

from django.apps import apps
from django.db import models

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
# Links a crawl does not follow: signing out, switching language, the admin's own pages (Django's, translated
# by Django), files to download, and the API's machine-readable documents.
SKIP = re.compile(
    r"^/(accounts/logout|i18n/|admin/|static/|media/|api/)"
    r"|\.(pdf|xlsx|xls|csv|zip|docx|png|jpe?g)$"
    r"|/(export|download|template|print|pdf|poster|report)s?(/|$|\.)"
)
# ?format=xlsx and the like: the same page's file, a download
DOWNLOAD_QUERY = re.compile(r"(^|&)format=(xlsx|xls|csv|pdf|zip)(&|$)")
# Number of pages a crawl of one role visits at most, and of pages of the same shape (/households/<n>/).
PAGE_BOUND = 100
SHAPE_BOUND = 1


UNLABELLED_INPUTS = ("hidden", "submit", "button", "reset", "image")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Page(HTMLParser):
    """The links of a page (<a href>, not download links) and its text, attributes a reader sees included."""

    SEEN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []
        self._hidden = 0
        self._chinese: list[str] = []  # open elements marked lang="zh…": their text is Chinese on purpose
        self.fields: list[dict] = []  # the form fields a reader fills in, and what labels them
        self.labelled: set[str] = set()  # ids named by a <label for>
        self._labels: list[dict] = []  # open <label> elements

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in ("script", "style", "template"):
            self._hidden += 1
        if tag == "a" and values.get("href") and "download" not in values:
            self.links.append(values["href"])
        self._fields(tag, values)
        if self._chinese or (values.get("lang") or "").lower().startswith("zh"):
            if tag not in VOID:
                self._chinese.append(tag)
            return
        for name in self.SEEN_ATTRIBUTES:
            if values.get(name):
                self.text.append(values[name])
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.text.append(values["value"])

    def _fields(self, tag, values):
        if tag == "label":
            self._labels.append({"for": values.get("for")})
            if values.get("for"):
                self.labelled.add(values["for"])
        elif tag == "span" and self._labels and "req" in (values.get("class") or "").split():
            self._labels[-1]["marked"] = True
        elif tag in ("input", "select", "textarea") and values.get("type") not in UNLABELLED_INPUTS:
            self.fields.append(
                {
                    "name": values.get("name") or values.get("id") or tag,
                    "id": values.get("id"),
                    "inside_label": bool(self._labels),
                    "named": any(values.get(a) for a in ("aria-label", "aria-labelledby", "title")),
                }
            )

    def unlabelled_fields(self) -> list[str]:
        return [
            f["name"]
            for f in self.fields
            if not (f["inside_label"] or f["named"] or (f["id"] and f["id"] in self.labelled))
        ]

    def handle_endtag(self, tag):
        if tag == "label" and self._labels:
            self._labels.pop()
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1
        if self._chinese and tag in self._chinese:
            while self._chinese and self._chinese.pop() != tag:
                pass

    def handle_data(self, data):
        if not self._hidden and not self._chinese and data.strip():
            self.text.append(data)


def read_page(html: str) -> tuple[list[str], str]:
    parser = _Page()
    parser.feed(html)
    return parser.links, "\n".join(parser.text)


def unlabelled_fields(html: str) -> list[str]:
    """The names of the form fields that have no label (a <label>, aria-label, aria-labelledby or title)."""
    parser = _Page()
    parser.feed(html)
    return parser.unlabelled_fields()


def shape(url: str) -> str:
    """/households/12/?page=3 and /households/40/?page=2 have one shape: a crawl visits a few of each."""
    parts = urlsplit(url)
    keys = sorted(k.split("=")[0] for k in parts.query.split("&") if k)
    return (
        re.sub(r"/\d+(?=/|$)", "/<n>", re.sub(r"/\d{6,}(?=/|$)", "/<code>", parts.path))
        + "?"
        + "&".join(keys)
    )


def same_site_links(page_url: str, links: Iterable[str]) -> list[str]:
    out = []
    for href in links:
        href = urldefrag(href.strip())[0]
        if not href or href.startswith(("mailto:", "tel:", "javascript:", "data:")):
            continue
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            if parts.netloc not in ("testserver", "localhost") and not parts.netloc.startswith("127.0.0.1"):
                continue
            href = parts.path + ("?" + parts.query if parts.query else "")
        elif not href.startswith("/"):
            base = urlsplit(page_url).path
            href = (base if base.endswith("/") else base.rsplit("/", 1)[0] + "/") + href
        parts = urlsplit(href)
        if not SKIP.search(parts.path) and not DOWNLOAD_QUERY.search(parts.query):
            out.append(href)
    return out


def crawl(start: str, fetch: Callable[[str], tuple[int, str, str]], bound: int = PAGE_BOUND):
    """Breadth-first from `start`. `fetch(url)` answers (status, content type, body). Yields (url, status,
    body, the page that linked to it) for every page visited."""
    queue = deque([(start, None)])
    seen: set[str] = {start}
    shapes: dict[str, int] = {}
    visited = 0
    while queue and visited < bound:
        url, referrer = queue.popleft()
        visited += 1
        status, content_type, body = fetch(url)
        yield url, status, body, referrer
        if status != 200 or "html" not in content_type:
            continue
        links, _ = read_page(body)
        for link in same_site_links(url, links):
            key = shape(link)
            if link in seen or shapes.get(key, 0) >= SHAPE_BOUND:
                continue
            seen.add(link)
            shapes[key] = shapes.get(key, 0) + 1
            queue.append((link, url))


def stored_chinese() -> list[str]:
    """Every Chinese value the database holds in a text column (and each line of it), longest first."""
    values: set[str] = set()
    for model in apps.get_models():
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField)) and not f.choices
        ]
        if not names:
            continue
        for row in model._default_manager.values_list(*names):
            for value in row:
                if isinstance(value, str) and HAN.search(value):
                    values.add(value.strip())
                    values.update(line.strip() for line in value.splitlines() if line.strip())
    return sorted(values, key=len, reverse=True)


def chinese_outside_data(text: str, data: list[str]) -> list[str]:
    for value in data:
        if value in text:
            text = text.replace(value, " ")
    return sorted(set(HAN.findall(text)))
