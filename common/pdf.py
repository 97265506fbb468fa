"""What every PDF the site renders (payment orders, disclosures) shares."""

# The font is named, not left to fontconfig's fallback: a PDF whose CJK glyphs came
# from whatever font happened to be installed is not a document one can re-issue.
PDF_FONT_FAMILY = "WenQuanYi Micro Hei"
# Hashes and digests (the public ledger's PDF, settlement documents).
PDF_MONO_FONT_FAMILY = "DejaVu Sans Mono"

# Chinese text, digits and Latin letters in both families, bold and regular: the glyph
# runs every PDF of the site contains.
_WARM_UP_HTML = f"""<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 15mm; @bottom-right {{ content: "第 " counter(page) " 页"; font-family: "{PDF_FONT_FAMILY}"; }} }}
body {{ font-family: "{PDF_FONT_FAMILY}"; font-size: 10pt; }}
.mono {{ font-family: "{PDF_MONO_FONT_FAMILY}", monospace; }}
</style></head><body>
<h1>共管账户 收支明细</h1>
<p>物业费 ¥1,234.56 壹仟贰佰叁拾肆元伍角陆分 — Gongguan 0123456789</p>
<table><tr><th>日期</th><th>摘要</th><th>金额</th></tr><tr><td>2026-01-01</td><td>电梯维修</td><td>-88.00</td></tr></table>
<p class="mono">sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08</p>
</body></html>"""


def warm_pdf_fonts() -> float:
    """Render one small Chinese PDF and throw it away; returns the seconds it took.

    The first PDF a fresh process renders pays for loading WeasyPrint's native
    libraries, fontconfig's scan and the CJK font's tables (issue 17: 0.77–1.0 s a page,
    against 0.2 s warm). Worker start-up calls this (``config/gunicorn.py``'s
    ``post_worker_init``, ``config/celery.py``'s ``worker_process_init``) so the first
    resident to download a document does not pay it. Never raises: a worker that cannot
    warm its fonts still serves everything else, and logs why."""
    import logging
    import time

    started = time.perf_counter()
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher

        HTML(string=_WARM_UP_HTML, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
    except Exception:  # a warm-up that fails must not stop the worker
        logging.getLogger(__name__).warning("PDF font warm-up failed", exc_info=True)
    return time.perf_counter() - started


def minimal_pdf(text: str) -> bytes:
    """A small but real one-page PDF (ASCII text, correct xref table): the invoice scan
    of the demo, and the evidence file of the payout tests."""
    content = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
