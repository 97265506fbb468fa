"""common.pdf.warm_pdf_fonts: what worker start-up calls so the first PDF is not cold."""

import logging

import pytest

from common import pdf


def test_warm_up_renders_a_chinese_pdf_and_says_how_long_it_took(monkeypatch):
    import weasyprint

    rendered = []
    real = weasyprint.HTML

    class Spy(real):
        def write_pdf(self, *args, **kwargs):
            data = super().write_pdf(*args, **kwargs)
            rendered.append(data)
            return data

    monkeypatch.setattr(weasyprint, "HTML", Spy)
    seconds = pdf.warm_pdf_fonts()
    assert seconds > 0
    assert len(rendered) == 1 and rendered[0].startswith(b"%PDF-")
    # The CJK font is embedded (a subset of WenQuanYi, tens of kB; the Latin fonts alone
    # would be a few kB).
    assert b"/FontFile2" in rendered[0] or len(rendered[0]) > 10_000


def test_a_failed_warm_up_is_logged_and_never_stops_the_worker(monkeypatch, caplog):
    import weasyprint

    class Broken:
        def __init__(self, *args, **kwargs):
            raise OSError("libpango missing")

    monkeypatch.setattr(weasyprint, "HTML", Broken)
    with caplog.at_level(logging.WARNING, logger="common.pdf"):
        assert pdf.warm_pdf_fonts() >= 0
    assert "PDF font warm-up failed" in caplog.text


@pytest.mark.parametrize("family", [pdf.PDF_FONT_FAMILY, pdf.PDF_MONO_FONT_FAMILY])
def test_the_warm_up_uses_the_families_the_documents_name(family):
    assert family in pdf._WARM_UP_HTML
