"""The joint payment order (联签支付单): one A4 PDF per paid request, in Chinese.

It is rebuilt from the database on each download (request, evidence hashes, every
signature, bank reference, ledger entry), so it can never disagree with the record.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from common.choices import choice_label
from common.files import file_response, private
from common.money import format_yuan
from common.pdf import PDF_FONT_FAMILY
from communities.models import Role
from escrow.models import EscrowAccount, PayoutRequest

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")
_SECTIONS = ("", "万", "亿", "万亿")


def amount_in_chinese_capitals(fen: int) -> str:
    """人民币大写 for an amount in fen, as the People's Bank's rules for filling in
    payment instruments write it: '¥1,409.50' → '壹仟肆佰零玖元伍角',
    '¥325.04' → '叁佰贰拾伍元零肆分', '¥100.00' → '壹佰元整'.

    Zeros between digits (also across 万/亿) are written once as 零; a zero in the
    yuan place before a non-zero 角, or a zero 角 before a non-zero 分, is written as
    零 too; '整' follows 元 when there are no 角 and 分.
    """
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError("fen must be an int")
    if fen < 0:
        raise ValueError("amounts in capitals are never negative")
    if fen >= 10**16 * 100:
        raise ValueError("amount too large")
    yuan, rest = divmod(fen, 100)
    jiao, fen_digit = divmod(rest, 10)
    if yuan == 0 and rest == 0:
        return "零元整"

    out = ""
    if yuan:
        digits = str(yuan)
        pending_zero = False
        length = len(digits)
        for index, char in enumerate(digits):
            position = length - 1 - index  # 0 = yuan place
            section, place = divmod(position, 4)
            digit = int(char)
            if digit == 0:
                pending_zero = True
            else:
                if pending_zero and out:
                    out += "零"
                pending_zero = False
                out += _DIGITS[digit] + _PLACES[place]
            if place == 0 and section > 0:
                # Close a 万/亿 section if any of its four digits is non-zero.
                section_digits = digits[max(0, index - 3) : index + 1]
                if int(section_digits):
                    out += _SECTIONS[section]
        out += "元"
        if rest == 0:
            return out + "整"
        if digits[-1] == "0" or jiao == 0:
            out += "零"
    if jiao:
        out += _DIGITS[jiao] + "角"
    if fen_digit:
        out += _DIGITS[fen_digit] + "分"
    return out


def payout_order_context(payout: PayoutRequest) -> dict:
    escrow = EscrowAccount.objects.filter(compound_id=payout.compound_id).first()
    signatures = [
        {
            "signature": signature,
            "role_label": choice_label(Role, signature.role),
        }
        for signature in payout.signatures.select_related("signer").order_by("signed_at", "id")
    ]
    return {
        "payout": payout,
        "compound": payout.compound,
        "escrow": escrow,
        "amount_yuan": format_yuan(payout.amount_fen),
        "amount_capitals": amount_in_chinese_capitals(payout.amount_fen),
        "attachments": list(payout.attachments.order_by("id")),
        "signatures": signatures,
        "entry": payout.journal_entry,
        "font_family": PDF_FONT_FAMILY,
        "generated_at": timezone.now(),
    }


def payout_order_pdf(payout: PayoutRequest) -> bytes:
    """Render the order of a paid request. The document speaks the site's language
    (Chinese), whatever language the person downloading it browses in."""
    from weasyprint import HTML  # loads its native libraries only when a PDF is rendered

    if payout.journal_entry_id is None:
        raise ValueError("only a paid request has a joint payment order")
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string("escrow/payouts/order_pdf.html", payout_order_context(payout))
        return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def payout_order_response(payout: PayoutRequest):
    """The order as the page and the API send it: inline, private, sandboxed."""
    response = file_response(
        payout_order_pdf(payout),
        filename=f"payout-{payout.compound.slug}-{payout.pk}.pdf",
        content_type="application/pdf",
        inline=True,
    )
    return private(response, sandbox=True)
