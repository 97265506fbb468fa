"""Disclosure pages (/c/<slug>/disclosures/…). Thin: reads through
``escrow.transparency.selectors``, every change through ``escrow.transparency.services``.

A published disclosure is public: its list, detail and files need no log-in. One that
is not published yet exists only for those who may publish it
(``Capability.PUBLISH_DISCLOSURE``); to everyone else it is a 404, like a missing one.
The officials' actions (request, publish, correct, reopen) answer 404 to anybody
without that capability, as every other page of a compound does.

Amounts become yuan here, at the edge (``common.money``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from common.choices import choice_label
from common.errors import ApplicationError
from common.files import file_response
from common.forms import add_service_error
from common.money import format_yuan
from communities.models import Compound
from communities.permissions import Capability, Standing, access_compound, standing_in
from communities.selectors import public_compound
from escrow.models import Category, Disclosure, DisclosureFormat, DisclosureStatus, EntryKind, PayoutCategory
from escrow.transparency import selectors, services
from escrow.transparency.forms import (
    CorrectForm,
    DisclosureRequestForm,
    PublishForm,
    ReopenForm,
)
from escrow.transparency.verifier_views import verify_command

# Shown on the page; the files hold every item.
MAX_ITEMS_ON_PAGE = 500
# Stored HTML is shown as a document, never as part of the site: no script, no
# requests, no forms, no same-origin access — only its own inline styles.
HTML_FILE_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
INLINE_FORMATS = {DisclosureFormat.PDF, DisclosureFormat.HTML}


# --------------------------------------------------------------------------- urls


def ledger_export_url(compound: Compound, through: int | None = None) -> str:
    """The public ledger export (JSON Lines), optionally cut at entry ``through``."""
    url = reverse("escrow:ledger-export-jsonl", kwargs={"slug": compound.slug})
    if through is not None:
        url += "?" + urlencode({"through": through})
    return url


def _kwargs(disclosure: Disclosure) -> dict:
    return {
        "slug": disclosure.compound.slug,
        "year": disclosure.year,
        "quarter": disclosure.quarter,
        "version": disclosure.version,
    }


def detail_url(disclosure: Disclosure) -> str:
    return reverse("escrow:disclosure-detail", kwargs=_kwargs(disclosure))


def file_name(disclosure: Disclosure) -> str:
    """The file's name (without extension) in its URL and when saved."""
    return (
        f"disclosure-{disclosure.compound.slug}-{disclosure.year}Q{disclosure.quarter}-v{disclosure.version}"
    )


def file_url(disclosure: Disclosure, fmt: str) -> str:
    return reverse(
        "escrow:disclosure-file", kwargs={**_kwargs(disclosure), "name": file_name(disclosure), "fmt": fmt}
    )


def list_url(compound: Compound) -> str:
    return reverse("escrow:disclosure-list", kwargs={"slug": compound.slug})


# --------------------------------------------------------------------------- context


def _files(disclosure: Disclosure) -> list[dict]:
    return [
        {
            "format": f.format,
            "label": DisclosureFormat(f.format).label,
            "size": f.size,
            "sha256": f.sha256,
            "url": file_url(disclosure, f.format),
        }
        for f in selectors.sorted_files(disclosure)
    ]


def _version_row(disclosure: Disclosure) -> dict:
    return {
        "disclosure": disclosure,
        "url": detail_url(disclosure),
        "files": _files(disclosure),
    }


def _group_rows(groups: list[selectors.QuarterDisclosures], *, official: bool) -> list[dict]:
    rows = []
    for group in groups:
        current = group.current
        rows.append(
            {
                "year": group.year,
                "quarter": group.quarter,
                "label": current.label,
                "current": _version_row(current),
                "superseded": [_version_row(d) for d in group.superseded],
                "overdue": group.overdue,
                "publish_form": PublishForm(auto_id=f"publish-{group.year}q{group.quarter}-%s")
                if official and current.status == DisclosureStatus.READY
                else None,
                "publish_url": reverse("escrow:disclosure-publish", kwargs=_kwargs(current)),
            }
        )
    return rows


def _category_rows(items: list[dict]) -> list[dict]:
    return [
        {
            "code": item.get("code", ""),
            "label": choice_label(Category, item.get("category", "")),
            "amount": format_yuan(int(item.get("amount", 0))),
            "zero": not item.get("amount"),
        }
        for item in items
    ]


def _figures_context(figures: dict) -> dict:
    """The frozen figures, readable: yuan and translated labels."""
    expense_codes = {row.get("code"): row.get("category", "") for row in figures.get("expenses", [])}
    items = figures.get("expense_items", [])
    collection = figures.get("collection") or {}
    holds = figures.get("open_holds") or {}
    chain = figures.get("chain") or {}
    return {
        "opening": format_yuan(int(figures["opening_balance"])),
        "closing": format_yuan(int(figures["closing_balance"])),
        "income": _category_rows(figures.get("income", [])),
        "income_total": format_yuan(int(figures.get("income_total", 0))),
        "expenses": _category_rows(figures.get("expenses", [])),
        "expense_total": format_yuan(int(figures.get("expense_total", 0))),
        "other": _category_rows(figures.get("other_movements", [])),
        "other_total": format_yuan(int(figures.get("other_total", 0))),
        "expense_items": [
            {
                "entry": item.get("entry"),
                "date": item.get("date", ""),
                "kind": choice_label(EntryKind, item.get("kind", "")),
                "code": item.get("code", ""),
                "label": choice_label(Category, expense_codes.get(item.get("code"), "")),
                "amount": format_yuan(int(item.get("amount", 0))),
                "payout": {
                    "request": item["payout"].get("request"),
                    "category": choice_label(PayoutCategory, item["payout"].get("category", "")),
                    "payee": item["payout"].get("payee", ""),
                    "purpose": item["payout"].get("purpose", ""),
                }
                if item.get("payout")
                else None,
            }
            for item in items[:MAX_ITEMS_ON_PAGE]
        ],
        "expense_items_count": len(items),
        "expense_items_cut": len(items) > MAX_ITEMS_ON_PAGE,
        "collection": {
            "billed": format_yuan(int(collection.get("billed", 0))),
            "received": format_yuan(int(collection.get("received", 0))),
            "rate": collection.get("rate"),
            "buildings": [
                {
                    "building": row.get("building", ""),
                    "billed": format_yuan(int(row.get("billed", 0))),
                    "received": format_yuan(int(row.get("received", 0))),
                    "rate": row.get("rate"),
                }
                for row in collection.get("buildings", [])
            ],
        },
        "holds": {
            "count": holds.get("count", 0),
            "amount": format_yuan(int(holds.get("amount", 0))),
            "items": [
                {
                    "request": item.get("request"),
                    "category": choice_label(PayoutCategory, item.get("category", "")),
                    "submitted_on": item.get("submitted_on", ""),
                    "amount": format_yuan(int(item.get("amount", 0))),
                }
                for item in holds.get("items", [])
            ],
        },
        "entries_in_period": figures.get("entries_in_period"),
        "chain": {"entry_count": chain.get("entry_count"), "head_hash": chain.get("head_hash", "")},
    }


def _reader(request, slug) -> tuple[Compound, Standing]:
    """Anyone may read a compound's published disclosures; a slug that does not exist is 404."""
    compound = public_compound(slug)
    if compound is None:
        raise Http404
    return compound, standing_in(request.user, compound)


# --------------------------------------------------------------------------- pages


def _render_list(request, compound, standing, *, request_form=None, status=200):
    official = selectors.may_manage_disclosures(standing)
    groups = selectors.official_disclosures(compound) if official else selectors.public_disclosures(compound)
    context = {
        "compound": compound,
        "official": official,
        "quarters": _group_rows(groups, official=official),
        "request_form": (request_form or DisclosureRequestForm()) if official else None,
        "export_url": ledger_export_url(compound),
    }
    return render(request, "escrow/disclosures/list.html", context, status=status)


@require_safe
def disclosure_list(request, slug):
    """Every published quarter with its files; for officials also what is not published yet."""
    compound, standing = _reader(request, slug)
    return _render_list(request, compound, standing)


def _render_detail(request, compound, standing, disclosure, *, forms=None, status=200):
    official = selectors.may_manage_disclosures(standing)
    versions = selectors.quarter_versions(
        compound=compound, year=disclosure.year, quarter=disclosure.quarter, standing=standing
    )
    # Officials see every version; others only the published ones, so for them a
    # correction that is not published yet does not replace this version.
    newer = [v for v in versions if v.version > disclosure.version]
    superseded_by = next((v for v in newer if v.version == disclosure.version + 1), None)
    is_newest = not newer
    built = disclosure.status in (DisclosureStatus.READY, DisclosureStatus.PUBLISHED)
    forms = forms or {}
    context = {
        "compound": compound,
        "disclosure": disclosure,
        "official": official,
        "figures": _figures_context(disclosure.figures) if built and disclosure.figures else None,
        "files": _files(disclosure),
        "versions": [{"disclosure": v, "url": detail_url(v)} for v in versions],
        "superseded_by": superseded_by,
        "superseded_by_url": detail_url(superseded_by) if superseded_by else "",
        "export_url": ledger_export_url(compound, through=disclosure.entry_count)
        if disclosure.entry_count is not None
        else "",
        "json_url": file_url(disclosure, DisclosureFormat.JSON),
        "verify_command": verify_command("disclosure.json", "ledger.jsonl"),
        # What the services would accept from this person now (is_newest: not corrected).
        "may_publish": official and is_newest and services.can_publish(disclosure, request.user),
        "may_correct": official and is_newest and services.can_correct(disclosure, request.user),
        "may_reopen": official and is_newest and services.can_reopen(disclosure, request.user),
        "publish_form": forms.get("publish") or PublishForm(),
        "correct_form": forms.get("correct") or CorrectForm(),
        "reopen_form": forms.get("reopen") or ReopenForm(),
    }
    return render(request, "escrow/disclosures/detail.html", context, status=status)


@require_safe
def disclosure_detail(request, slug, year, quarter, version):
    compound, standing = _reader(request, slug)
    disclosure = selectors.disclosure_get(
        compound=compound, year=year, quarter=quarter, version=version, standing=standing
    )
    return _render_detail(request, compound, standing, disclosure)


@require_safe
def disclosure_file(request, slug, year, quarter, version, name, fmt):
    """One stored file, byte for byte; its ETag is its SHA-256."""
    compound, standing = _reader(request, slug)
    disclosure = selectors.disclosure_get(
        compound=compound, year=year, quarter=quarter, version=version, standing=standing, figures=False
    )
    if name != file_name(disclosure):
        raise Http404
    stored = selectors.disclosure_file_get(disclosure, fmt)
    if stored is None:
        raise Http404
    public = disclosure.status == DisclosureStatus.PUBLISHED
    response = file_response(
        bytes(stored.content),
        filename=f"{name}.{fmt}",
        content_type=stored.content_type,
        inline=fmt in INLINE_FORMATS,
        request=request,
        etag=f'"{stored.sha256}"',
    )
    # A published file never changes (a correction is a new version at a new URL).
    response["Cache-Control"] = "public, max-age=86400" if public else "private, no-store"
    if fmt == DisclosureFormat.HTML:
        response["Content-Security-Policy"] = HTML_FILE_CSP
    elif fmt != DisclosureFormat.PDF:  # a PDF keeps the browser's own viewer
        response["Content-Security-Policy"] = "default-src 'none'"
    return response


# --------------------------------------------------------------------------- officials' actions


def _official(request, slug) -> tuple[Compound, Standing]:
    return access_compound(request.user, slug, Capability.PUBLISH_DISCLOSURE)


def _official_disclosure(request, slug, year, quarter, version):
    compound, standing = _official(request, slug)
    disclosure = selectors.disclosure_get(
        compound=compound, year=year, quarter=quarter, version=version, standing=standing
    )
    return compound, standing, disclosure


@login_required
@require_POST
def disclosure_request(request, slug):
    compound, standing = _official(request, slug)
    form = DisclosureRequestForm(request.POST)
    if form.is_valid():
        try:
            disclosure = services.disclosure_request(
                compound=compound,
                year=form.cleaned_data["year"],
                quarter=form.cleaned_data["quarter"],
                actor=request.user,
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Disclosure for %(label)s requested. It is built in the background; publish it once it is ready."
                )
                % {"label": disclosure.label},
            )
            return redirect(detail_url(disclosure))
    return _render_list(request, compound, standing, request_form=form, status=400)


@login_required
@require_POST
def disclosure_publish(request, slug, year, quarter, version):
    compound, standing, disclosure = _official_disclosure(request, slug, year, quarter, version)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            services.disclosure_publish(disclosure=disclosure, actor=request.user)
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("The %(label)s disclosure is published; members have been told.")
                % {"label": disclosure.label},
            )
            return redirect(detail_url(disclosure))
    return _render_detail(request, compound, standing, disclosure, forms={"publish": form}, status=400)


@login_required
@require_POST
def disclosure_correct(request, slug, year, quarter, version):
    compound, standing, disclosure = _official_disclosure(request, slug, year, quarter, version)
    form = CorrectForm(request.POST)
    if form.is_valid():
        try:
            correction = services.disclosure_correct(
                disclosure=disclosure, reason=form.cleaned_data["reason"], actor=request.user
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Version %(v)s of the %(label)s disclosure is being built; publish it once it is ready.")
                % {"v": correction.version, "label": correction.label},
            )
            return redirect(detail_url(correction))
    return _render_detail(request, compound, standing, disclosure, forms={"correct": form}, status=400)


@login_required
@require_POST
def books_reopen(request, slug, year, quarter, version):
    compound, standing, disclosure = _official_disclosure(request, slug, year, quarter, version)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.books_reopen(
                disclosure=disclosure, reason=form.cleaned_data["reason"], actor=request.user
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "The books for %(label)s are open again: post the correcting entries, "
                    "then issue a corrected disclosure."
                )
                % {"label": disclosure.label},
            )
            return redirect(detail_url(disclosure))
    return _render_detail(request, compound, standing, disclosure, forms={"reopen": form}, status=400)
