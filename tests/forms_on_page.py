"""A page's form as a browser would post it untouched: its inputs, selected options, checked boxes and text
areas (the edit-form tests fill in a page they read, as users do, instead of restating every field)."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id: str | None):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.forms: list[dict[str, list[str]]] = []
        self.data: dict[str, list[str]] = {}
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.option: str | None = None
        self.textarea: str | None = None

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "").lower() == "post":
            self.inside = self.form_id is None or a.get("id") == self.form_id
            self.data = {}
            return
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._add(name, a.get("value") or "on")
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self._add(name, a.get("value") or "")
        elif tag == "select" and name:
            self.select, self.select_first, self.select_chosen = name, None, False
        elif tag == "option" and self.select:
            value = a.get("value", "")
            if self.select_first is None:
                self.select_first = value
            if "selected" in a:
                self._add(self.select, value)
                self.select_chosen = True
        elif tag == "textarea" and name:
            self.textarea = name
            self._add(name, "")

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
            self.forms.append(self.data)
        elif tag == "select" and self.select:
            if not self.select_chosen and self.select_first is not None and "multiple" not in self.select:
                self._add(self.select, self.select_first)
            self.select = None
        elif tag == "textarea" and self.textarea:
            # as browsers do, a newline right after <textarea> is not part of the value
            self.data[self.textarea][-1] = self.data[self.textarea][-1].removeprefix("\r").removeprefix("\n")
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data


def form_data(html: str, form_id: str | None = None) -> dict:
    """{name: value or [values]} of the page's edit form (the POST form with the most fields, or the one with
    `form_id`), as posted untouched."""
    reader = _FormReader(form_id)
    reader.feed(html)
    data = max(reader.forms, key=len, default={})
    return {k: v[0] if len(v) == 1 else v for k, v in data.items()}
