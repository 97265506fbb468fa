"""Labels of model choices, translated and cached per language."""

from __future__ import annotations

import functools

from django.utils.translation import get_language


@functools.lru_cache(maxsize=32)
def _labels(choices_class, language: str | None) -> dict[str, str]:
    return {value: str(label) for value, label in choices_class.choices}


def choice_label(choices_class, value: str) -> str:
    """The translated label of a choice. ``get_FOO_display()`` rebuilds the choices
    and translates them on every call — a millisecond per line on a page of 50
    entries; catalogs do not change while the process runs, so cache per language."""
    return _labels(choices_class, get_language()).get(value, value)
