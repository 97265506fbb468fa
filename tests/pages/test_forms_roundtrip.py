"""A form opened and saved unchanged changes nothing, in every language.

Under zh-hans Django formats dates as ``2026/12/02``; ``<input type="date">`` accepts only
ISO dates, so the browser showed an empty field and saving a draft erased its resolution
date. Every date field renders ISO (``common.forms.IsoDateInput``)."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from html.parser import HTMLParser

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation

from escrow.models import PayoutRequest
from tests.escrow.payouts.helpers import SMALL_FEN, file_payout, prepare

APPS = ("accounts", "common", "communities", "escrow", "assessments", "meetings")


class _FormFields(HTMLParser):
    """The values a browser would send back for the page's post form that has ``field``."""

    def __init__(self, field: str):
        super().__init__()
        self.field = field
        self.fields: dict[str, str] = {}
        self.date_values: dict[str, str] = {}
        self._forms: list[tuple[dict, dict]] = []
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._in_form = True
            self.fields, self.date_values = {}, {}
            self._forms.append((self.fields, self.date_values))
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "file", "checkbox", "radio"}:
            self.fields[name] = a.get("value") or ""
            if a.get("type") == "date":
                self.date_values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def chosen(self) -> tuple[dict, dict]:
        return next((f, d) for f, d in self._forms if self.field in f)

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data.removeprefix("\n")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_draft_saved_unchanged_keeps_its_resolution_date(world, settings, tmp_path, client, language):
    pw = prepare(world, settings, tmp_path, balance_fen=SMALL_FEN)
    draft = file_payout(
        pw,
        submit=False,
        resolution_number="业委会决议〔2026〕7号",
        resolution_date=dt.date(2026, 3, 9),
    )
    before = PayoutRequest.objects.values().get(pk=draft.pk)
    client.force_login(pw.staff, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    edit = reverse("escrow:payout-edit", kwargs={"slug": pw.a.slug, "pk": draft.pk})

    page = client.get(edit)
    assert page.status_code == 200
    parser = _FormFields("purpose")
    parser.feed(page.content.decode())
    fields, date_values = parser.chosen()
    assert date_values == {"resolution_date": "2026-03-09"}

    response = client.post(edit, fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    after = PayoutRequest.objects.values().get(pk=draft.pk)
    changed = {k for k in before if before[k] != after[k] and k not in {"updated_at", "version"}}
    assert changed == set()


def _project_forms():
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            importlib.import_module(info.name)
    seen, stack = set(), [forms.Form, forms.ModelForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return sorted((f for f in seen if f.__module__.split(".")[0] in APPS), key=lambda f: f.__qualname__)


def test_every_date_field_of_every_form_renders_iso():
    from common.forms import IsoDateInput

    checked = 0
    for form_class in _project_forms():
        for name, field in form_class.base_fields.items():
            if isinstance(field, forms.DateField) and not isinstance(field, forms.DateTimeField):
                checked += 1
                assert isinstance(field.widget, IsoDateInput), f"{form_class.__qualname__}.{name}"
                with translation.override("zh-hans"):
                    html = field.widget.render(name, dt.date(2026, 12, 2))
                assert 'value="2026-12-02"' in html
    assert checked >= 4
