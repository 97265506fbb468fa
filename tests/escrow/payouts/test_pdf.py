"""The joint payment order (联签支付单): amounts in Chinese capitals, and a PDF whose CJK
glyphs really are there (an embedded font, not only extractable text)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.urls import reverse

from escrow.payouts.pdf import amount_in_chinese_capitals
from tests.escrow.payouts.helpers import file_payout, pdf, walk


@pytest.mark.parametrize(
    ("fen", "capitals"),
    [
        # The worked examples of the People's Bank's rules for filling in instruments.
        (140950, "壹仟肆佰零玖元伍角"),
        (600714, "陆仟零柒元壹角肆分"),
        (168032, "壹仟陆佰捌拾元零叁角贰分"),
        (10700053, "壹拾万零柒仟元零伍角叁分"),
        (32504, "叁佰贰拾伍元零肆分"),
        # Whole yuan, zeros inside and across 万/亿, and amounts below one yuan.
        (0, "零元整"),
        (100, "壹元整"),
        (1000, "壹拾元整"),
        (10000, "壹佰元整"),
        (101000, "壹仟零壹拾元整"),
        (1000100, "壹万零壹元整"),
        (2000000000, "贰仟万元整"),
        (10000000000, "壹亿元整"),
        (10001000000, "壹亿零壹万元整"),
        (100000010, "壹佰万元零壹角"),
        (12345678901, "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元零壹分"),
        (5, "伍分"),
        (50, "伍角"),
        (55, "伍角伍分"),
    ],
)
def test_amounts_in_chinese_capitals(fen, capitals):
    assert amount_in_chinese_capitals(fen) == capitals


@pytest.mark.parametrize("bad", [-1, 1.5, True, "100"])
def test_capitals_refuse_what_is_not_fen(bad):
    with pytest.raises((TypeError, ValueError)):
        amount_in_chinese_capitals(bad)


needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdffonts")),
    reason="needs poppler-utils (pdftotext, pdffonts)",
)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "order.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdf_fonts(data: bytes, tmp_path) -> list[list[str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()[2:]]


@needs_poppler
def test_the_order_lists_every_signature_in_an_embedded_cjk_font(pw, client, tmp_path):
    payout = walk(
        pw,
        file_payout(
            pw, amount_fen=1_680_32, attachments=[("invoice", pdf("发票.pdf")), ("quote", pdf("报价.pdf"))]
        ),
        to="paid",
    )
    order = reverse("escrow:payout-order", kwargs={"slug": pw.a.slug, "pk": payout.pk})
    client.force_login(pw.resident, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(order)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    data = response.content

    fonts = pdf_fonts(data, tmp_path)
    cjk = [row for row in fonts if "WenQuanYi" in row[0]]
    assert cjk, fonts
    assert all(row[-5] == "yes" for row in cjk)  # the "emb" column: embedded (and subset)

    text = pdf_text(data, tmp_path)
    compact = "".join(text.split())
    for person in (pw.committee, pw.committee2, pw.official, pw.chair, pw.staff):
        assert person.display_name in compact
    for expected in (
        "人民币壹仟陆佰捌拾元零叁角贰分",
        "¥1,680.32",
        pw.a.name,
        payout.payee_name,
        "6217****0123",
        payout.bank_reference,
        payout.journal_entry.hash,
        payout.content_hash,
        *payout.attachments.values_list("sha256", flat=True),
        "Page1/",
    ):
        assert expected in compact, expected
    assert compact.count("(TOTP)") == 3  # one second-factor check per signature
    assert f"#{payout.journal_entry.sequence}" in compact


def test_there_is_no_order_before_payment_nor_for_outsiders(pw, client):
    rechecked = walk(pw, file_payout(pw), to="rechecked")
    client.force_login(pw.chair, backend="django.contrib.auth.backends.ModelBackend")
    assert (
        client.get(reverse("escrow:payout-order", kwargs={"slug": pw.a.slug, "pk": rechecked.pk})).status_code
        == 404
    )
    paid = walk(pw, file_payout(pw), to="paid")
    order = reverse("escrow:payout-order", kwargs={"slug": pw.a.slug, "pk": paid.pk})
    for outsider in (pw.outsider, pw.stranger):
        client.force_login(outsider, backend="django.contrib.auth.backends.ModelBackend")
        assert client.get(order).status_code == 404
    client.force_login(pw.steward, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(order).status_code == 403  # a member whose role may not see payouts
    client.logout()
    assert client.get(order).status_code == 302
