"""Post admin forms as a browser does: every field the page pre-fills, the management forms, added rows built from
the page's empty-row template, and only then the editor's changes."""

from html.parser import HTMLParser

SKIPPED_INPUT_TYPES = {"submit", "button", "file", "image", "reset"}


class _FormParser(HTMLParser):
    """The successful controls of one form, in page order, as (name, value) pairs."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
            return
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type", "text") not in SKIPPED_INPUT_TYPES:
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value", "on")))
            else:
                self.fields.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in attrs, "options": []}
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value"), "selected": "selected" in attrs, "text": ""}
            self._select["options"].append(self._option)
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "text": ""}

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            options = self._select["options"]
            chosen = [option for option in options if option["selected"]]
            if not chosen and options and not self._select["multiple"]:
                chosen = options[:1]
            for option in chosen:
                value = option["value"] if option["value"] is not None else option["text"].strip()
                self.fields.append((self._select["name"], value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the one newline that follows <textarea>.
            self.fields.append((self._textarea["name"], self._textarea["text"].removeprefix("\n")))
            self._textarea = None


def form_fields(html: str, form_id: str) -> dict[str, list[str]]:
    """The values the form would submit, by name (a list each: checkboxes and multiple selects repeat)."""
    parser = _FormParser(form_id)
    parser.feed(html)
    fields: dict[str, list[str]] = {}
    for name, value in parser.fields:
        fields.setdefault(name, []).append(value)
    return fields


class BrowserForm:
    """A form read from a page, to change like an editor and post back."""

    def __init__(self, client, url: str, form_id: str = "project_form"):
        self.client, self.url = client, url
        self.page = client.get(url)
        assert self.page.status_code == 200, self.page.status_code
        self.fields = form_fields(self.page.content.decode(), form_id)

    def set(self, **values) -> "BrowserForm":
        """Set fields by name (``investments-0-currency``); a list sets every value of a multiple field."""
        for name, value in values.items():
            self.fields[name] = [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)]
        return self

    def check(self, name: str, checked: bool = True) -> "BrowserForm":
        if checked:
            self.fields[name] = ["on"]
        else:
            self.fields.pop(name, None)
        return self

    def add_row(self, prefix: str, **values) -> int:
        """Add an inline row as the admin's script does: a copy of the empty row, then the counter moved on."""
        index = int(self.fields[f"{prefix}-TOTAL_FORMS"][0])
        template = f"{prefix}-__prefix__-"
        for name, field_values in list(self.fields.items()):
            if name.startswith(template):
                self.fields[name.replace("__prefix__", str(index))] = list(field_values)
        self.fields[f"{prefix}-TOTAL_FORMS"] = [str(index + 1)]
        for name, value in values.items():
            key = f"{prefix}-{index}-{name}"
            if value is True:
                self.fields[key] = ["on"]
            elif value is False:
                self.fields.pop(key, None)
            else:
                self.fields[key] = [str(value)]
        return index

    def data(self) -> dict[str, list[str]]:
        # The empty-row templates are inside the form but never part of what the admin reads.
        return {name: values for name, values in self.fields.items() if "__prefix__" not in name}

    def post(self, **extra):
        return self.client.post(self.url, {**self.data(), **extra})
