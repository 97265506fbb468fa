"""Staff pages for money coming in, under /c/<slug>/escrow/. Thin: access through
communities.permissions (404 for a compound, capability or object the user may not
reach — the same answer as for one that does not exist), reads through
escrow.fees.selectors, writes through the services."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.stepup import (
    StepUpRequiredError,
    check_second_factor,
    has_strong_mfa,
    second_factor_from_session,
)
from common.errors import ApplicationError
from common.forms import add_service_error
from common.money import format_yuan
from communities.models import Unit
from communities.permissions import Capability, CapabilityDenied, Standing, access_compound
from escrow.fees import reconciliation, selectors
from escrow.fees.forms import (
    ManualPaymentForm,
    MonthRangeForm,
    OutflowExplainForm,
    StatementMappingForm,
    StatementUploadForm,
    SuspenseAssignForm,
)
from escrow.fees.periods import month_range
from escrow.fees.services import imports, payments
from escrow.fees.services.imports import StatementImportError
from escrow.models import BankLine, BankLineOutcome, BankStatementMapping, Payment, PayoutRequest

NAV = [
    ("escrow:payment-record", gettext_lazy("Record a payment"), Capability.RECORD_PAYMENT_RECEIVED),
    ("escrow:statement-import", gettext_lazy("Bank statements"), Capability.RECORD_PAYMENT_RECEIVED),
    ("escrow:suspense", gettext_lazy("Unidentified receipts"), Capability.MANAGE_SUSPENSE),
    ("escrow:arrears", gettext_lazy("Arrears"), Capability.VIEW_ARREARS),
    ("escrow:collection", gettext_lazy("Collection rate"), Capability.VIEW_ARREARS),
    ("escrow:reconciliation", gettext_lazy("Reconciliation"), Capability.VIEW_FULL_LEDGER),
]


def _context(request, compound, standing: Standing, current: str, **extra) -> dict:
    nav = [
        {"url": reverse(name, args=[compound.slug]), "label": label, "current": name == current}
        for name, label, capability in NAV
        if standing.can(capability)
    ]
    return {"compound": compound, "standing": standing, "nav": nav, **extra}


def _unit_choices(compound) -> list[str]:
    return [u.label for u in selectors.units_for_choice(compound)]


def _payment_row(payment: Payment) -> dict:
    return {
        "payment": payment,
        "unit": payment.unit.label if payment.unit_id else "",
        "amount": format_yuan(payment.amount_fen),
    }


# --------------------------------------------------------------------------- long lists

LIST_PAGE_SIZE = 50


def _list_tools(request, list_id: str, rows, *, search_label, search_placeholder, sorts=None, sort=""):
    """Paging and the search box of a long list: the page of ``rows`` (a queryset or a
    list) and what the template's ``_list_tools.html`` and ``_pager.html`` need."""
    q = request.GET.get("q", "").strip()[:100]
    page = Paginator(rows, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    query = {k: v for k, v in (("q", q), ("sort", sort)) if v}
    return {
        "list_id": list_id,
        "page": page,
        "page_query": (urlencode(query) + "&") if query else "",
        "q": q,
        "search_label": search_label,
        "search_placeholder": search_placeholder,
        "sorts": sorts or [],
        "sort": sort,
    }


# --------------------------------------------------------------------------- manual payments


@login_required
def payment_record_page(request, slug):
    """Record a fee paid at the counter, against a numbered receipt."""
    compound, standing = access_compound(request.user, slug, Capability.RECORD_PAYMENT_RECEIVED)
    form = ManualPaymentForm(request.POST or None, compound=compound)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = payments.payment_record(
                compound=compound,
                unit=data["unit"],
                amount_fen=data["amount"],
                method=data["method"],
                received_on=data["received_on"],
                receipt_no=data["receipt_no"],
                actor=request.user,
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            text = (
                _("Receipt %(no)s recorded: %(amount)s for %(unit)s (entry #%(seq)s).")
                if result.created
                else _("Receipt %(no)s was already recorded: %(amount)s for %(unit)s (entry #%(seq)s).")
            )
            messages.success(
                request,
                text
                % {
                    "no": result.payment.receipt_no,
                    "amount": format_yuan(result.payment.amount_fen),
                    "unit": result.payment.unit.label,
                    "seq": result.payment.entry.sequence,
                },
            )
            return redirect("escrow:payment-record", slug=compound.slug)
    tools = _list_tools(
        request,
        "payments",
        selectors.recent_payments(compound, limit=None, q=request.GET.get("q")),
        search_label=_("Search the payments"),
        search_placeholder=_("receipt, reference, payer, unit or amount"),
    )
    recent = [_payment_row(p) for p in tools["page"]]
    return render(
        request,
        "escrow/billing/payment_record.html",
        _context(
            request,
            compound,
            standing,
            "escrow:payment-record",
            form=form,
            recent=recent,
            unit_choices=_unit_choices(compound),
            **tools,
        ),
    )


# --------------------------------------------------------------------------- statement imports


PREVIEW_DIR = "statement-previews"


def _preview_path(compound, sha256: str) -> str:
    return f"{PREVIEW_DIR}/{compound.pk}/{sha256}.bin"


def _preview_rows(summary: dict) -> list[dict]:
    labels = dict(BankLineOutcome.choices)
    labels["skipped"] = _("Already imported")
    return [
        {"outcome": key, "label": labels[key], "lines": value[0], "amount": format_yuan(value[1])}
        for key, value in summary.items()
        if value[0]
    ]


@login_required
def statement_import_page(request, slug):
    """Upload a statement, see what it would post (the preview), confirm. On refusal,
    every problem with its line and column; nothing is posted."""
    compound, standing = access_compound(request.user, slug, Capability.RECORD_PAYMENT_RECEIVED)
    form = StatementUploadForm(request.POST or None, request.FILES or None, compound=compound)
    problems: list[dict] = []
    preview = None
    if request.method == "POST" and request.POST.get("confirm"):
        sha256 = request.POST.get("sha256", "")
        mapping = BankStatementMapping.objects.filter(
            compound=compound, pk=request.POST.get("mapping") or 0
        ).first()
        path = _preview_path(compound, sha256) if len(sha256) == 64 and sha256.isalnum() else ""
        if not path or not default_storage.exists(path):
            messages.error(request, _("The previewed file is gone; upload it again."))
            return redirect("escrow:statement-import", slug=compound.slug)
        with default_storage.open(path, "rb") as handle:
            data = handle.read()
        try:
            record = imports.statement_import(
                compound=compound,
                mapping=mapping,
                file_name=request.POST.get("file_name", "")[:200],
                data=data,
                actor=request.user,
            )
        except StatementImportError as exc:
            problems = exc.extra.get("rows") or [{"row": None, "column": None, "message": exc.message}]
            form = StatementUploadForm(compound=compound)
            form.add_error(None, exc.message)
        except ApplicationError as exc:
            form = StatementUploadForm(compound=compound)
            add_service_error(form, exc)
        else:
            default_storage.delete(path)
            messages.success(
                request,
                _(
                    "%(file)s imported: %(posted)s lines posted (%(amount)s), %(unidentified)s of them "
                    "unidentified, %(skipped)s already imported before."
                )
                % {
                    "file": record.file_name,
                    "posted": record.posted,
                    "amount": format_yuan(record.posted_fen),
                    "unidentified": record.unidentified,
                    "skipped": record.skipped,
                },
            )
            return redirect("escrow:statement-import", slug=compound.slug)
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        mapping = form.cleaned_data["mapping"]
        try:
            plan = imports.statement_preview(compound=compound, data=data, mapping=mapping)
        except StatementImportError as exc:
            problems = exc.extra.get("rows") or [{"row": None, "column": None, "message": exc.message}]
            form.add_error(None, exc.message)
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            sha256 = hashlib.sha256(data).hexdigest()
            path = _preview_path(compound, sha256)
            if not default_storage.exists(path):
                default_storage.save(path, ContentFile(data))
            preview = {
                "plan": plan.as_dict(),
                "rows": _preview_rows(plan.summary()),
                "sha256": sha256,
                "mapping": mapping.pk if mapping else "",
                "file_name": upload.name,
                "opening": format_yuan(plan.parsed.opening_balance_fen)
                if plan.parsed.opening_balance_fen is not None
                else "",
                "closing": format_yuan(plan.parsed.closing_balance_fen)
                if plan.parsed.closing_balance_fen is not None
                else "",
                "flagged": [
                    {**item, "amount": format_yuan(item["amount_fen"])} for item in plan.as_dict()["flagged"]
                ],
            }
    tools = _list_tools(
        request,
        "statements",
        selectors.statement_imports(compound, limit=None, q=request.GET.get("q")),
        search_label=_("Search the imported statements"),
        search_placeholder=_("file or bank"),
    )
    history = [{"record": r, "amount": format_yuan(r.posted_fen)} for r in tools["page"]]
    return render(
        request,
        "escrow/billing/statement_import.html",
        _context(
            request,
            compound,
            standing,
            "escrow:statement-import",
            form=form,
            problems=problems,
            preview=preview,
            history=history,
            mappings=selectors.statement_mappings(compound),
            **tools,
        ),
    )


@login_required
def statement_mapping_page(request, slug, mapping_id=None):
    """Create or change a custom statement layout."""
    compound, standing = access_compound(request.user, slug, Capability.RECORD_PAYMENT_RECEIVED)
    mapping = None
    if mapping_id is not None:
        mapping = BankStatementMapping.objects.filter(compound=compound, pk=mapping_id).first()
        if mapping is None:
            raise Http404
    form = StatementMappingForm(request.POST or None, initial=StatementMappingForm.initial_for(mapping))
    if request.method == "POST" and form.is_valid():
        try:
            imports.statement_mapping_save(
                compound=compound,
                mapping=mapping,
                actor=request.user,
                bank_name=form.cleaned_data["bank_name"],
                layout=form.layout(),
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, _("Mapping for %(bank)s saved.") % {"bank": form.cleaned_data["bank_name"]}
            )
            return redirect("escrow:statement-import", slug=compound.slug)
    return render(
        request,
        "escrow/billing/statement_mapping.html",
        _context(request, compound, standing, "escrow:statement-import", form=form, mapping=mapping),
    )


@login_required
def outflow_explain_page(request, slug, line_id):
    """Say what an unexplained outflow was (audited); it then leaves the public page."""
    compound, standing = access_compound(request.user, slug, Capability.MANAGE_SUSPENSE)
    line = BankLine.objects.filter(compound=compound, pk=line_id, outcome=BankLineOutcome.UNEXPLAINED).first()
    if line is None:
        raise Http404
    form = OutflowExplainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        payout = None
        if form.cleaned_data.get("payout"):
            payout = PayoutRequest.objects.filter(compound=compound, pk=form.cleaned_data["payout"]).first()
            if payout is None:
                form.add_error("payout", _("No such payout in this compound."))
        if form.is_valid():
            try:
                imports.outflow_explain(
                    line=line,
                    actor=request.user,
                    explanation=form.cleaned_data["explanation"],
                    category=form.cleaned_data.get("category") or "",
                    payout=payout,
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The outflow is explained."))
                return redirect("escrow:reconciliation", slug=compound.slug)
    return render(
        request,
        "escrow/billing/outflow_explain.html",
        _context(
            request,
            compound,
            standing,
            "escrow:reconciliation",
            form=form,
            line=line,
            amount=format_yuan(line.amount_fen),
        ),
    )


# --------------------------------------------------------------------------- suspense


@login_required
def suspense_page(request, slug):
    """Unidentified receipts, each with a form to say whose it is."""
    compound, standing = access_compound(request.user, slug, Capability.MANAGE_SUSPENSE)
    return _suspense_render(request, compound, standing)


def _suspense_render(request, compound, standing, *, failed: tuple[int, SuspenseAssignForm] | None = None):
    tools = _list_tools(
        request,
        "suspense",
        selectors.suspense_payments(compound, q=request.GET.get("q")),
        search_label=_("Search the unidentified receipts"),
        search_placeholder=_("reference, payer, memo or amount"),
    )
    rows = []
    for payment in tools["page"]:
        form = failed[1] if failed and failed[0] == payment.pk else SuspenseAssignForm(compound=compound)
        rows.append({"payment": payment, "amount": format_yuan(payment.amount_fen), "form": form})
    return render(
        request,
        "escrow/billing/suspense.html",
        _context(
            request,
            compound,
            standing,
            "escrow:suspense",
            rows=rows,
            unit_choices=_unit_choices(compound),
            **tools,
        ),
        status=400 if failed else 200,
    )


@login_required
def suspense_assign_page(request, slug, payment_id):
    compound, standing = access_compound(request.user, slug, Capability.MANAGE_SUSPENSE)
    payment = Payment.objects.filter(compound=compound, pk=payment_id).first()
    if payment is None:
        raise Http404
    if request.method != "POST":
        return redirect("escrow:suspense", slug=compound.slug)
    form = SuspenseAssignForm(request.POST, compound=compound)
    if form.is_valid():
        try:
            result = payments.suspense_assign(
                payment=payment, unit=form.cleaned_data["unit"], actor=request.user
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("%(amount)s received on %(d)s assigned to %(unit)s.")
                % {
                    "amount": format_yuan(result.payment.amount_fen),
                    "d": result.payment.received_on.isoformat(),
                    "unit": result.payment.unit.label,
                },
            )
            return redirect("escrow:suspense", slug=compound.slug)
    return _suspense_render(request, compound, standing, failed=(payment.pk, form))


# --------------------------------------------------------------------------- arrears, rates, statements


@login_required
def arrears_page(request, slug):
    """Units that owe fees, the longest-unpaid first — for the committee, the company,
    the community and the street office; never public."""
    compound, standing = access_compound(request.user, slug, Capability.VIEW_ARREARS)
    sort = request.GET.get("sort", "")
    sort = sort if sort in selectors.ARREARS_SORTS else "oldest"
    everyone = selectors.arrears_list(compound)
    found = selectors.arrears_search(everyone, request.GET.get("q"), sort)
    tools = _list_tools(
        request,
        "arrears",
        found,
        search_label=_("Find a unit"),
        search_placeholder=_("e.g. 2栋1单元101 or 2栋"),
        sorts=[
            ("oldest", _("Longest unpaid first")),
            ("amount", _("Largest amount first")),
            ("unit", _("By building and unit")),
        ],
        sort=sort,
    )
    rows = [
        {
            "item": item,
            "unit": item.unit.label,
            "arrears": format_yuan(item.arrears_fen),
            "billed": format_yuan(item.billed_fen),
            "paid": format_yuan(item.paid_fen),
        }
        for item in tools["page"]
    ]
    return render(
        request,
        "escrow/billing/arrears.html",
        _context(
            request,
            compound,
            standing,
            "escrow:arrears",
            rows=rows,
            units=len(everyone),
            total=format_yuan(sum(i.arrears_fen for i in everyone)),
            matching=len(found),
            **tools,
        ),
    )


def _rate_cells(rows):
    return [
        {
            "period": r.period,
            "billed": format_yuan(r.billed_fen),
            "received": format_yuan(r.received_fen),
            "rate": r.rate,
        }
        for r in rows
    ]


@login_required
def collection_page(request, slug):
    """收缴率 per month, for the compound and each building (definition on the page)."""
    compound, standing = access_compound(request.user, slug, Capability.VIEW_ARREARS)
    form = MonthRangeForm(request.GET or None)
    error = ""
    try:
        first, last = month_range(request.GET.get("start") or None, request.GET.get("end") or None)
    except ApplicationError as exc:
        error = exc.message
        first, last = month_range(None, None)
    table = selectors.collection_rates(compound, first=first, last=last)
    return render(
        request,
        "escrow/billing/collection.html",
        _context(
            request,
            compound,
            standing,
            "escrow:collection",
            form=form,
            error=error,
            months=table.months,
            compound_rows=_rate_cells(table.compound),
            total=_rate_cells([table.total])[0],
            buildings=[(b, _rate_cells(rows)) for b, rows in table.buildings],
        ),
    )


@login_required
def unit_statement_page(request, slug, unit_id):
    """A unit's bills and payments with the running balance: for roles that see
    arrears, and for the unit's own owners."""
    compound, standing = access_compound(request.user, slug)
    unit = Unit.objects.filter(compound=compound, pk=unit_id).select_related("building", "compound").first()
    if unit is None or not selectors.unit_statement_visible(request.user, standing, unit):
        raise Http404
    lines = [
        {
            "line": line,
            "billed": format_yuan(line.billed_fen) if line.billed_fen else "",
            "paid": format_yuan(line.paid_fen) if line.paid_fen else "",
            "balance": format_yuan(line.balance_fen),
        }
        for line in selectors.unit_statement(unit)
    ]
    balance = selectors.unit_arrears_fen(unit)
    return render(
        request,
        "escrow/billing/unit_statement.html",
        _context(
            request,
            compound,
            standing,
            "escrow:arrears",
            unit=unit,
            unit_label=unit.label,
            lines=lines,
            balance=format_yuan(balance),
            owes=balance > 0,
        ),
    )


# --------------------------------------------------------------------------- reconciliation (对账)


def _month_param(value: str | None) -> dt.date | None:
    try:
        return dt.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return None


def _step_up(request, next_url: str):
    if not has_strong_mfa(request.user):
        messages.warning(
            request,
            _(
                "Signing a reconciliation needs an authenticator app (TOTP). Set it up here; you will come back."
            ),
        )
        return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': next_url})}")
    messages.info(request, _("Enter the code from your authenticator app to sign."))
    return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': next_url})}")


@login_required
def reconciliation_page(request, slug):
    """The bank's balance beside the ledger's cash by day for a month, the lines that
    explain the difference, and the month's signatures (POST: sign, behind step-up)."""
    compound, standing = access_compound(request.user, slug, Capability.VIEW_FULL_LEDGER)
    account = payments.escrow_account_of(compound)
    months = reconciliation.months_with_lines(account)
    month = _month_param(request.GET.get("month") or request.POST.get("month")) or (
        months[0] if months else timezone.localdate().replace(day=1)
    )
    may_sign = standing.can(Capability.REVIEW_PAYOUT) or standing.can(Capability.RECHECK_PAYOUT)
    if request.method == "POST":
        if not may_sign:
            raise CapabilityDenied(compound, Capability.REVIEW_PAYOUT)
        here = f"{request.path}?{urlencode({'month': f'{month:%Y-%m}'})}"
        proof = None
        try:
            proof = check_second_factor(second_factor_from_session(request))
        except StepUpRequiredError:
            return _step_up(request, here)
        try:
            reconciliation.reconciliation_sign(
                compound=compound, month=month, actor=request.user, standing=standing, second_factor=proof
            )
        except StepUpRequiredError:
            return _step_up(request, here)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("You signed the reconciliation of %(m)s.") % {"m": f"{month:%Y-%m}"})
        return redirect(here)
    view = reconciliation.month_view(compound, account, month)
    days = [
        {
            "day": d.day,
            "bank": format_yuan(d.bank_fen) if d.bank_fen is not None else "—",
            "ledger": format_yuan(d.ledger_fen),
            "difference": format_yuan(d.difference_fen) if d.difference_fen is not None else "—",
            "off": bool(d.difference_fen),
        }
        for d in view.days
    ]
    return render(
        request,
        "escrow/billing/reconciliation.html",
        _context(
            request,
            compound,
            standing,
            "escrow:reconciliation",
            account=account,
            view=view,
            month=month,
            months=months,
            days=days,
            bank_end=format_yuan(view.bank_end_fen) if view.bank_end_fen is not None else None,
            ledger_end=format_yuan(view.ledger_end_fen),
            difference=format_yuan(view.difference_fen) if view.difference_fen is not None else None,
            may_sign=may_sign and not (view.record and view.record.signed),
            may_explain=standing.can(Capability.MANAGE_SUSPENSE),
        ),
    )
