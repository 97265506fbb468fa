"""Simplified Chinese is the default language, and its catalogue covers the whole UI."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# The project catalogue and each app's own (apps whose templates live in the app).
CATALOGUES = [*sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po")), PO]


def test_the_real_default_is_simplified_chinese():
    from config.settings import base

    assert base.LANGUAGE_CODE == "zh-hans"
    assert ("en", "English") in base.LANGUAGES


def test_the_committed_catalogue_loads_without_gettext():
    # Only the committed .mo is read at run time; nothing compiles on the user's machine.
    assert PO.with_suffix(".mo").exists()
    with translation.override("zh-hans"):
        assert translation.gettext("Escrow ledger") == "共管账户账本"
        assert translation.gettext("Log in") == "登录"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_is_translated(po):
    assert po.with_suffix(".mo").exists(), f"{po}: run make messages and commit the .mo"
    text = po.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text.split("\n\n", 1)[1], "fuzzy entries are not used by Django"
    entries = text.split("\n\n")[1:]
    untranslated = [
        e for e in entries if 'msgstr ""' in e and 'msgstr ""\n"' not in e and "msgid_plural" not in e
    ]
    assert untranslated == [], untranslated[:5]
