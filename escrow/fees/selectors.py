"""Reads about money coming in: finding a unit by its payment reference, arrears, a
unit's statement and the collection rate (收缴率).

Every function takes a compound (or a unit) that the caller has already checked
access to; nothing here looks across compounds.

Arrears (欠费) of a unit = everything billed to it − everything paid for it (payments
of that unit, including unidentified receipts once assigned to it). Payments are
applied to the unit's bills oldest first (先缴旧欠), which is what "oldest unpaid
month" means in the arrears list.

Collection rate (收缴率) — cash basis, defined so that anyone can recompute it from
the bills and payments tables:

    rate(month M) = fen received in M  ÷  fen billed for M

where "received in M" sums the payments of identified units (a receipt in suspense
counts once assigned, in the month its money *arrived*, ``received_on``), and
"billed for M" sums the bills whose period is M. A building's rate restricts both
sums to the units of that building; the compound's rate is the sum over its
buildings. Back payments of old arrears count in the month they arrive, so a month
can exceed 100 %; a month with no bills has no rate (``None``), not 0 %.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth

from common.periods import add_months, months_between
from communities.models import Building, Compound, Unit, UnitOwnership, _active_q
from communities.permissions import Capability
from escrow.ledger.selectors import amount_in_query
from escrow.models import BankStatementMapping, FeeBill, Payment, StatementImport

# --------------------------------------------------------------------------- unit references

# Words residents type after the parts of an address: 3栋 / 3幢 / 3号楼 / A座, 2单元,
# 1502室 / 1502号. They are separators for matching, like the punctuation below.
_SUFFIX_WORDS = ("号楼", "单元", "栋", "幢", "座", "室", "号")
_SEPARATORS = re.compile(r"[\s\-_/\\·.,，、。:：;；#＃|]+")


def normalize_reference(text: str) -> str:
    """The form in which references are compared.

    NFKC folds full-width letters, digits and hyphens (ＳＨＡＮＧＣＨＥＮＧ－１) to ASCII;
    case is ignored; the suffix words 号楼/单元/栋/幢/座/室/号 and any run of spaces,
    hyphens, underscores, slashes, dots, commas, colons or middle dots become one "-".
    So "shangcheng 1栋1单元101室", "SHANGCHENG－1－1－101" and "SHANGCHENG-1栋-1-101"
    all read "SHANGCHENG-1-1-101".
    """
    text = unicodedata.normalize("NFKC", text or "").upper()
    text = text.replace("—", "-").replace("–", "-").replace("−", "-")
    for word in _SUFFIX_WORDS:
        text = text.replace(word, "-")
    return _SEPARATORS.sub("-", text).strip("-")


@dataclass
class UnitMatcher:
    """Finds the unit a memo or a typed reference names, within one compound.

    A memo matches a unit when it contains the unit's normalised reference
    (compound slug, building, entrance, number) as a whole word — or, failing that,
    just building-entrance-number (the statement is this compound's, so the slug is
    redundant). If the memo names two different units, it matches none: a person
    decides (suspense).
    """

    compound: Compound
    by_key: dict[str, int] = field(default_factory=dict)
    units: dict[int, Unit] = field(default_factory=dict)

    @classmethod
    def for_compound(cls, compound: Compound) -> UnitMatcher:
        matcher = cls(compound=compound)
        for unit in Unit.objects.filter(compound=compound).select_related("building"):
            matcher.units[unit.pk] = unit
            matcher.by_key[_unit_key(unit)] = unit.pk
        slug = normalize_reference(compound.slug)
        token = r"[0-9A-Z]+"  # noqa: S105 - a regular expression, not a secret
        building = r"[^-]+"
        matcher._with_slug = re.compile(
            rf"(?<![0-9A-Z]){re.escape(slug)}-({building})-({token})-({token})(?![0-9A-Z])"
        )
        matcher._bare = re.compile(rf"(?<![0-9A-Z])({building})-({token})-({token})(?![0-9A-Z])")
        return matcher

    def match(self, text: str) -> Unit | None:
        normal = normalize_reference(text)
        if not normal:
            return None
        for pattern in (self._with_slug, self._bare):
            found = {
                self.by_key[key]
                for key in ("-".join(groups) for groups in _overlapping_findall(pattern, normal))
                if key in self.by_key
            }
            if len(found) == 1:
                return self.units[found.pop()]
            if len(found) > 1:
                return None
        return None


def _unit_key(unit: Unit) -> str:
    return "-".join(normalize_reference(part) for part in (unit.building.name, unit.entrance, unit.number))


def _overlapping_findall(pattern: re.Pattern, text: str):
    """Every match, also those that overlap (a bare pattern may first catch a date)."""
    position = 0
    while True:
        found = pattern.search(text, position)
        if found is None:
            return
        yield found.groups()
        position = found.start() + 1


# --------------------------------------------------------------------------- months


# --------------------------------------------------------------------------- arrears


@dataclass
class UnitArrears:
    unit: Unit
    billed_fen: int
    paid_fen: int
    oldest_unpaid: dt.date | None  # period of the oldest bill not fully covered (oldest first)
    months_unpaid: int

    @property
    def arrears_fen(self) -> int:
        return self.billed_fen - self.paid_fen


def unit_arrears_fen(unit: Unit) -> int:
    """Billed − paid for one unit (negative: paid ahead)."""
    billed = FeeBill.objects.filter(unit=unit).aggregate(s=Sum("amount_fen"))["s"] or 0
    paid = Payment.objects.filter(compound_id=unit.compound_id, unit=unit).aggregate(s=Sum("amount_fen"))["s"]
    return billed - (paid or 0)


def arrears_list(compound: Compound, *, building: Building | None = None) -> list[UnitArrears]:
    """Units that owe money, the longest-unpaid first (then the largest amount).

    Payments are applied to each unit's bills oldest first, so ``oldest_unpaid`` is
    the first month whose bill is not fully covered. Two queries for the compound.
    """
    bills = FeeBill.objects.filter(compound=compound)
    payments = Payment.objects.filter(compound=compound, unit__isnull=False)
    if building is not None:
        bills = bills.filter(unit__building=building)
        payments = payments.filter(unit__building=building)
    paid = dict(payments.values_list("unit_id").annotate(s=Sum("amount_fen")).values_list("unit_id", "s"))
    per_unit: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for unit_id, period, amount in bills.order_by("unit_id", "period").values_list(
        "unit_id", "period", "amount_fen"
    ):
        per_unit[unit_id].append((period, amount))
    rows: list[tuple[int, int, dt.date, int]] = []
    for unit_id, unit_bills in per_unit.items():
        billed = sum(amount for _period, amount in unit_bills)
        unit_paid = paid.get(unit_id, 0)
        if billed - unit_paid <= 0:
            continue
        left = unit_paid
        oldest, unpaid_months = None, 0
        for period, amount in unit_bills:
            if left >= amount:
                left -= amount
                continue
            left = 0
            unpaid_months += 1
            oldest = oldest or period
        rows.append((unit_id, billed, oldest, unpaid_months))
    units = Unit.objects.filter(pk__in=[r[0] for r in rows]).select_related("building", "compound").in_bulk()
    result = [
        UnitArrears(
            unit=units[unit_id],
            billed_fen=billed,
            paid_fen=paid.get(unit_id, 0),
            oldest_unpaid=oldest,
            months_unpaid=months,
        )
        for unit_id, billed, oldest, months in rows
    ]
    result.sort(key=lambda r: (r.oldest_unpaid, -r.arrears_fen, r.unit.pk))
    return result


# --------------------------------------------------------------------------- statement


@dataclass
class StatementLine:
    day: dt.date
    kind: str  # "bill" or "payment"
    description: str
    billed_fen: int
    paid_fen: int
    balance_fen: int  # owed after this line (negative: in credit)
    obj: object


def unit_statement(unit: Unit) -> list[StatementLine]:
    """Bills and payments of one unit in date order with the running balance owed.

    A bill is dated the first day of its month; on the same day a bill comes before a
    payment, so a payment on the 1st visibly settles that month.
    """
    events: list[tuple[dt.date, int, int, object]] = []
    for bill in FeeBill.objects.filter(unit=unit).order_by("period", "pk"):
        events.append((bill.period, 0, bill.pk, bill))
    for payment in (
        Payment.objects.filter(compound_id=unit.compound_id, unit=unit)
        .select_related("entry")
        .order_by("received_on", "pk")
    ):
        events.append((payment.received_on, 1, payment.pk, payment))
    events.sort(key=lambda e: e[:3])
    balance = 0
    lines = []
    for day, order, _pk, obj in events:
        if order == 0:
            balance += obj.amount_fen
            lines.append(StatementLine(day, "bill", f"{obj.period:%Y-%m}", obj.amount_fen, 0, balance, obj))
        else:
            balance -= obj.amount_fen
            label = obj.receipt_no or obj.reference
            lines.append(
                StatementLine(
                    day,
                    "payment",
                    f"{obj.get_method_display()} {label}".strip(),
                    0,
                    obj.amount_fen,
                    balance,
                    obj,
                )
            )
    return lines


# --------------------------------------------------------------------------- collection rate


@dataclass
class RateRow:
    period: dt.date
    billed_fen: int = 0
    received_fen: int = 0

    @property
    def rate(self) -> Decimal | None:
        """Received ÷ billed as a percentage with one decimal (half up); None if nothing billed."""
        if not self.billed_fen:
            return None
        return (Decimal(self.received_fen) * 100 / Decimal(self.billed_fen)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


@dataclass
class CollectionTable:
    months: list[dt.date]
    compound: list[RateRow]
    buildings: list[tuple[Building, list[RateRow]]]
    total: RateRow


def collection_rates(compound: Compound, *, first: dt.date, last: dt.date) -> CollectionTable:
    """收缴率 per month for the compound and each of its buildings (definition in the
    module docstring). Two grouped queries, whatever the number of units."""
    months = months_between(first, last)
    start, end = months[0], add_months(months[-1], 1)
    billed = (
        FeeBill.objects.filter(compound=compound, period__gte=start, period__lt=end)
        .values_list("unit__building_id", "period")
        .annotate(s=Sum("amount_fen"))
    )
    received = (
        Payment.objects.filter(
            compound=compound, unit__isnull=False, received_on__gte=start, received_on__lt=end
        )
        .annotate(month=TruncMonth("received_on"))
        .values_list("unit__building_id", "month")
        .annotate(s=Sum("amount_fen"))
    )
    cells: dict[tuple[int, dt.date], RateRow] = {}

    def cell(building_id, month):
        month = month.date() if isinstance(month, dt.datetime) else month
        key = (building_id, month)
        if key not in cells:
            cells[key] = RateRow(period=month)
        return cells[key]

    for building_id, period, total in billed:
        cell(building_id, period).billed_fen += total
    for building_id, month, total in received:
        cell(building_id, month).received_fen += total

    buildings = list(Building.objects.filter(compound=compound).order_by("sort_key", "name", "pk"))
    compound_rows = [RateRow(period=m) for m in months]
    building_rows = []
    for building in buildings:
        rows = []
        for index, month in enumerate(months):
            source = cells.get((building.pk, month), RateRow(period=month))
            rows.append(RateRow(period=month, billed_fen=source.billed_fen, received_fen=source.received_fen))
            compound_rows[index].billed_fen += source.billed_fen
            compound_rows[index].received_fen += source.received_fen
        building_rows.append((building, rows))
    total = RateRow(
        period=months[0],
        billed_fen=sum(r.billed_fen for r in compound_rows),
        received_fen=sum(r.received_fen for r in compound_rows),
    )
    return CollectionTable(months=months, compound=compound_rows, buildings=building_rows, total=total)


# --------------------------------------------------------------------------- lists


def unit_statement_visible(user, standing, unit: Unit) -> bool:
    """Roles that see arrears see every unit's statement; an owner sees their own units'."""
    if standing.can(Capability.VIEW_ARREARS):
        return True
    return UnitOwnership.objects.filter(_active_q(), unit=unit, user=user).exists()


def _payment_search(qs, compound: Compound, q: str | None):
    """Payments whose receipt, reference, payer or memo contains ``q``; an amount
    ("1234.50") finds that amount and a unit ("2栋1单元101") that unit's payments."""
    q = (q or "").strip()
    if not q:
        return qs
    match = (
        Q(receipt_no__icontains=q)
        | Q(reference__icontains=q)
        | Q(payer_name__icontains=q)
        | Q(statement_memo__icontains=q)
    )
    fen = amount_in_query(q)
    if fen is not None:
        match |= Q(amount_fen=fen)
    unit = UnitMatcher.for_compound(compound).match(q)
    if unit is not None:
        match |= Q(unit=unit)
    return qs.filter(match)


def suspense_payments(compound: Compound, *, q: str | None = None):
    """Unidentified receipts still waiting for a unit, oldest first."""
    qs = Payment.objects.filter(compound=compound, unit__isnull=True).order_by("received_on", "pk")
    return _payment_search(qs, compound, q)


def recent_payments(compound: Compound, *, limit: int | None = 20, q: str | None = None):
    """The compound's payments, the latest recorded first (searched by ``q``)."""
    qs = (
        Payment.objects.filter(compound=compound)
        .select_related("unit__building", "entry", "created_by")
        .order_by("-created_at", "-pk")
    )
    qs = _payment_search(qs, compound, q)
    return qs[:limit] if limit else qs


def statement_mappings(compound: Compound):
    return BankStatementMapping.objects.filter(compound=compound).order_by("bank_name", "pk")


def statement_imports(compound: Compound, *, limit: int | None = 20, q: str | None = None):
    """Imported statements, the latest first; ``q`` searches the file and bank names."""
    qs = (
        StatementImport.objects.filter(compound=compound)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(file_name__icontains=q) | Q(bank_name__icontains=q))
    return qs[:limit] if limit else qs


ARREARS_SORTS = ("oldest", "amount", "unit")


def arrears_search(items: list[UnitArrears], q: str | None, sort: str = "oldest") -> list[UnitArrears]:
    """The arrears list narrowed to the units ``q`` names (however written: "2栋",
    "2栋1单元", "2-1-10"), in the order asked for."""
    wanted = [part for part in normalize_reference(q or "").split("-") if part]
    if wanted:
        # Building, entrance, number from the left; the last part typed may be a prefix.
        def matches(unit: Unit) -> bool:
            parts = _unit_key(unit).split("-")
            if len(wanted) > len(parts):
                return False
            *whole, last = wanted
            return parts[: len(whole)] == whole and parts[len(whole)].startswith(last)

        items = [i for i in items if matches(i.unit)]
    if sort == "amount":
        return sorted(items, key=lambda i: (-i.arrears_fen, i.oldest_unpaid))
    if sort == "unit":
        return sorted(items, key=lambda i: (i.unit.building.name, i.unit.entrance, i.unit.number))
    return items


def units_for_choice(compound: Compound):
    return Unit.objects.filter(compound=compound).select_related("building", "compound")
