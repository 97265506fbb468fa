"""A compound's roster of units from a spreadsheet (CSV or XLSX): 楼栋, 单元, 房号, 建筑面积.

Two steps, the same for the page, the command and any future caller:

1. ``units_import_plan`` reads and checks the whole file against the compound's units
   and writes nothing: every problem is named by the row a spreadsheet shows and the
   column as the file's header spells it.
2. ``units_import`` plans again under the compound's lock and, only if the whole file is
   valid, writes it in one transaction with one audit event.

Re-importing a file is idempotent: a unit already there with the same floor area is
counted as "already there" and nothing is written for it. A unit already there with a
different floor area refuses the file: the area drives every bill, so a change is made on
the unit itself (``services.unit_update``, audited with before/after), never in bulk.

Owners: the optional name and mobile number become an owner link (``UnitOwnership``) to
the account with that number, created without a password when there is none (owners log
in by an SMS code). An existing account keeps its own name. A unit that already has
owners is never given another one by import: a change of owner is a sale or an
inheritance, recorded on its own. Owner links are made only by a community official or
a street-office admin (``OWNER_LINK_ROLES``), never by the property company alone, and
nobody links themselves.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from banking.errors import StatementError
from banking.reading import csv_rows, read_source
from common.errors import ApplicationError, ConflictError, PermissionDeniedError
from common.phone import mask_phone, normalize_phone
from communities.audit import audit_record
from communities.models import MAX_FLOOR_AREA, Building, Compound, Role, Unit, UnitOwnership, _active_q
from communities.permissions import Capability, Standing, roles_with, standing_in

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000  # data rows; the largest compounds have a few thousand flats
MAX_PROBLEMS = 200  # a file with more is wrong as a whole; list enough to see why
PREVIEW_ROWS = 20
HEADER_SEARCH_ROWS = 10  # a title line or two may stand above the header

# The columns, by every name a header may give them (compared after ``_header_key``).
COLUMNS: dict[str, tuple[str, ...]] = {
    "building": ("楼栋", "楼栋号", "楼号", "栋号", "楼宇", "building"),
    "entrance": ("单元", "单元号", "entrance"),
    "room": ("房号", "房间号", "户号", "门牌号", "室号", "room", "roomnumber", "number"),
    "floor_area": ("建筑面积", "面积", "floorarea", "area"),
    "owner_name": ("业主", "业主姓名", "姓名", "ownername", "owner"),
    "owner_phone": (
        "业主电话",
        "联系电话",
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "ownerphone",
        "phone",
        "mobile",
    ),
}
REQUIRED = ("building", "entrance", "room", "floor_area")
# Owner links give votes in owners' decisions and the members' view of the ledger, so
# the property company — the party the owners supervise — does not make them alone.
OWNER_LINK_ROLES = frozenset({Role.COMMUNITY_OFFICIAL, Role.STREET_ADMIN})
TEMPLATE_HEADERS = ("楼栋", "单元", "房号", "建筑面积", "业主姓名", "业主电话")


def template_csv() -> bytes:
    """The downloadable template: the headers and one example row, UTF-8 with a BOM so
    that Excel opens it in Chinese."""
    lines = [",".join(TEMPLATE_HEADERS), "3栋,2,1502,89.50,张三,13800138000"]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self):
        where = []
        if self.row is not None:
            where.append(_("row %(n)s") % {"n": self.row})
        if self.column:
            where.append(_("column “%(c)s”") % {"c": self.column})
        return f"{', '.join(where)}: {self.message}" if where else self.message


class UnitImportError(ApplicationError):
    """The file was refused whole; nothing in it was written. ``extra["rows"]`` lists every
    problem as ``{"row", "column", "message"}`` (the shape of the statement import)."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        shown = "; ".join(str(p) for p in self.problems[:3])
        message = _(
            "The file was refused as a whole; no unit in it was added. %(n)s problem(s): %(shown)s"
        ) % {"n": len(self.problems), "shown": shown}
        if len(self.problems) > 3:
            message += " " + _("(and %(more)s more)") % {"more": len(self.problems) - 3}
        super().__init__(
            message,
            extra={
                "rows": [p.as_dict() for p in self.problems],
                "fields": {"file": [str(p) for p in self.problems]},
            },
        )


def _refuse(message: str, row: int | None = None, column: str | None = None) -> UnitImportError:
    return UnitImportError([Problem(row, column, message)])


# --------------------------------------------------------------------------- cells


def _cell(text) -> str:
    """Full-width digits and letters to ASCII, the ideographic space to a space, padding off."""
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def _header_key(text: str) -> str:
    key = _cell(text).lower()
    key = re.sub(r"[(\[].*?[)\]]", "", key)  # 建筑面积(㎡), floor_area (m2)
    return re.sub(r"[\s_\-*]", "", key)


_HEADER_NAMES = {name: column for column, names in COLUMNS.items() for name in names}

_CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def _small_number(text: str) -> int | None:
    """'12', '012' or a Chinese numeral up to 99 ('三', '十二', '二十') as an int."""
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return _CN_DIGITS[text] if len(text) == 1 else None
    tens, _sep, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


_BUILDING_RE = re.compile(
    r"^(?:building|bldg\.?|no\.?)?\s*([0-9零一二两三四五六七八九十]+)\s*(栋楼|栋|幢|号楼|号|#楼|#|楼)?$"
)
_ENTRANCE_RE = re.compile(r"^([0-9零一二两三四五六七八九十]+)\s*(单元)?$")


def building_name(text: str) -> str:
    """The house convention for a building: '3', '3栋', '3号楼', '3#', '三栋', '03' → '3栋';
    a name that is not a number ('A座', '商业楼') stays as it is."""
    text = _cell(text)
    match = _BUILDING_RE.match(text.lower())
    if match:
        number = _small_number(match[1])
        if number is not None:
            return f"{number}栋"
    return text


def entrance_name(text: str) -> str:
    """'2', '02', '2单元', '二单元' → '2' (the label adds 单元: '3栋2单元1502')."""
    text = _cell(text)
    match = _ENTRANCE_RE.match(text)
    if match:
        number = _small_number(match[1])
        if number is not None:
            return str(number)
    return text.removesuffix("单元").strip()


def room_number(text: str) -> str:
    """'1502', '1502室', '1502号' → '1502'."""
    text = _cell(text)
    return re.sub(r"\s*(室|号|房)$", "", text)


_AREA_RE = re.compile(r"^(\d+)(?:\.(\d{1,2}))?$")


def floor_area(text: str) -> Decimal:
    """'89.5', '89.50㎡', '89.50 m²', '89.50平方米' → Decimal('89.50'); > 0 and ≤ 2,000 m²,
    at most two decimal places. Raises ValueError with the message for the cell."""
    raw = _cell(text)
    value = re.sub(r"\s*(m2|平方米|平米|平)$", "", raw.lower())  # NFKC makes ㎡ and m² 'm2'
    if not value:
        raise ValueError(_("The floor area is empty."))
    match = _AREA_RE.match(value)
    if not match:
        if re.match(r"^\d+\.\d{3,}$", value):
            raise ValueError(_("“%(v)s” has more than two decimal places.") % {"v": raw})
        raise ValueError(_("“%(v)s” is not a floor area in m² (e.g. 89.50).") % {"v": raw})
    try:
        area = Decimal(value).quantize(Decimal("0.01"))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(_("“%(v)s” is not a floor area in m² (e.g. 89.50).") % {"v": raw}) from None
    if area <= 0:
        raise ValueError(_("The floor area must be more than 0 m²."))
    if area > MAX_FLOOR_AREA:
        raise ValueError(
            _("%(v)s m² is more than a flat can be (at most %(max)s m²).")
            % {"v": area, "max": MAX_FLOOR_AREA}
        )
    return area


def mainland_mobile(text: str) -> str:
    """A mainland mobile number in E.164 ('+8613800138000'); ValueError otherwise."""
    raw = _cell(text)
    try:
        phone = normalize_phone(raw)
    except ValidationError:
        phone = ""
    if not phone.startswith("+86"):
        raise ValueError(
            _("“%(v)s” is not a mainland mobile number (11 digits starting with 1).") % {"v": raw}
        )
    return phone


# --------------------------------------------------------------------------- reading


@dataclass
class Row:
    row: int
    building: str
    entrance: str
    room: str
    floor_area: Decimal
    owner_name: str = ""
    owner_phone: str = ""
    phone_column: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.building, self.entrance, self.room)

    @property
    def label(self) -> str:
        return f"{self.building}{self.entrance}单元{self.room}"


def _read_table(data: bytes) -> tuple[str, list[tuple[int, list[str]]]]:
    try:
        source = read_source(data)
        rows = source.rows if source.rows is not None else csv_rows(source.text)
    except StatementError as exc:
        raise UnitImportError([Problem(p.line, p.column, p.message) for p in exc.problems]) from None
    return source.encoding, rows


def _find_header(rows) -> tuple[int, dict[str, int], dict[str, str]]:
    """The index of the header row, each column's position and its name as the file spells it."""
    first = None
    for index, (_line, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if not any(_cell(c) for c in cells):
            continue
        positions: dict[str, int] = {}
        names: dict[str, str] = {}
        for position, cell in enumerate(cells):
            column = _HEADER_NAMES.get(_header_key(cell))
            if column and column not in positions:
                positions[column] = position
                names[column] = _cell(cell)
        if all(column in positions for column in REQUIRED):
            return index, positions, names
        if first is None:
            first = (rows[index][0], positions)
    if first is None:
        raise _refuse(_("The file has no rows."))
    line, positions = first
    missing = [COLUMNS[c][0] for c in REQUIRED if c not in positions]
    raise _refuse(
        _(
            "Columns missing: %(missing)s. The header needs 楼栋, 单元, 房号 and 建筑面积 (or building, entrance, room, floor_area)."
        )
        % {"missing": "、".join(missing)},
        row=line,
    )


def read_rows(data: bytes) -> tuple[str, list[Row], list[Problem]]:
    """Every data row of the file, checked cell by cell (not yet against the compound):
    the good rows and a problem for each bad cell. A file that cannot be read at all
    raises ``UnitImportError``."""
    if len(data) > MAX_BYTES:
        raise _refuse(_("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    encoding, table = _read_table(data)
    header_index, positions, names = _find_header(table)
    body = [(line, cells) for line, cells in table[header_index + 1 :] if any(_cell(c) for c in cells)]
    if not body:
        raise _refuse(_("The file has a header but no units under it."))
    if len(body) > MAX_ROWS:
        raise _refuse(
            _("The file has %(n)s units; at most %(max)s are imported at once. Split it by building.")
            % {"n": len(body), "max": MAX_ROWS}
        )
    problems: list[Problem] = []
    out: list[Row] = []
    for line, cells in body:

        def get(column: str, cells=cells) -> str:
            position = positions.get(column)
            return _cell(cells[position]) if position is not None and position < len(cells) else ""

        bad = len(problems)
        values: dict[str, object] = {}
        for column, parse, limit in (
            ("building", building_name, 50),
            ("entrance", entrance_name, 20),
            ("room", room_number, 20),
        ):
            value = parse(get(column))
            if not value:
                problems.append(Problem(line, names[column], _("This cell is empty.")))
            elif len(value) > limit:
                problems.append(
                    Problem(
                        line,
                        names[column],
                        _("“%(v)s” is longer than %(n)s characters.") % {"v": value, "n": limit},
                    )
                )
            values[column] = value
        try:
            values["floor_area"] = floor_area(get("floor_area"))
        except ValueError as exc:
            problems.append(Problem(line, names["floor_area"], str(exc)))
        owner_name, phone_text = get("owner_name"), get("owner_phone")
        if len(owner_name) > 64:
            problems.append(Problem(line, names["owner_name"], _("The name is longer than 64 characters.")))
        values["owner_name"] = owner_name
        values["owner_phone"] = ""
        if phone_text:
            try:
                values["owner_phone"] = mainland_mobile(phone_text)
            except ValueError as exc:
                problems.append(Problem(line, names["owner_phone"], str(exc)))
        elif owner_name:
            column = names.get("owner_phone") or names["owner_name"]
            problems.append(
                Problem(
                    line, column, _("An owner is linked by a mobile number: add it, or leave the name empty.")
                )
            )
        if len(problems) == bad:
            out.append(Row(row=line, phone_column=names.get("owner_phone", ""), **values))
        if len(problems) >= MAX_PROBLEMS:
            break
    return encoding, out, problems


# --------------------------------------------------------------------------- planning


@dataclass
class UnitImportPlan:
    """What the file does to the compound; ``written`` tells whether it was done."""

    file_name: str
    sha256: str
    encoding: str
    rows: int = 0
    new_units: int = 0
    existing_units: int = 0
    new_buildings: list[str] = field(default_factory=list)
    new_owner_links: int = 0
    existing_owner_links: int = 0
    new_accounts: int = 0
    preview: list[dict] = field(default_factory=list)
    written: bool = False
    # Not shown: what the write needs.
    _to_create: list[Row] = field(default_factory=list, repr=False)
    _owner_links: list[Row] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("_to_create")
        data.pop("_owner_links")
        return data


def _existing(compound: Compound):
    """The compound's buildings by their conventional name, and its units by (building,
    entrance, number) with their floor area and current owners' phones."""
    buildings = {building_name(b.name): b for b in Building.objects.filter(compound=compound)}
    by_id = {b.pk: name for name, b in buildings.items()}
    units = {}
    for unit_id, building_id, entrance, number, area in Unit.objects.filter(compound=compound).values_list(
        "pk", "building_id", "entrance", "number", "floor_area"
    ):
        units[(by_id[building_id], entrance_name(entrance), number)] = (unit_id, area)
    owners: dict[int, set[str]] = {}
    for unit_id, phone in UnitOwnership.objects.filter(_active_q(), compound=compound).values_list(
        "unit_id", "user__phone"
    ):
        owners.setdefault(unit_id, set()).add(phone or "")
    return buildings, units, owners


def _owner_link_refusal(row: Row, actor, standing) -> str:
    """Why this person may not link this row's owner; "" when they may."""
    if not OWNER_LINK_ROLES & standing.roles:
        return _(
            "Owners are linked by the community or the street office, not by the property company: "
            "leave the owner columns empty, or ask them to import the file."
        )
    if actor is not None and actor.phone and actor.phone == row.owner_phone:
        return _("Nobody links themselves to a unit: ask another person who may import units.")
    return ""


def _plan(*, compound: Compound, data: bytes, file_name: str, actor, standing) -> UnitImportPlan:
    encoding, rows, problems = read_rows(data)
    plan = UnitImportPlan(
        file_name=file_name, sha256=hashlib.sha256(data).hexdigest(), encoding=encoding, rows=len(rows)
    )
    buildings, units, owners = _existing(compound)
    seen: dict[tuple, int] = {}
    phone_names: dict[str, tuple[str, int]] = {}
    new_buildings: list[str] = []
    for row in rows:
        status = ""
        earlier = seen.get(row.key)
        if earlier is not None:
            problems.append(
                Problem(
                    row.row,
                    None,
                    _("%(unit)s is listed twice: also on row %(row)s.") % {"unit": row.label, "row": earlier},
                )
            )
            continue
        seen[row.key] = row.row
        if row.owner_phone and row.owner_name:
            named = phone_names.setdefault(row.owner_phone, (row.owner_name, row.row))
            if named[0] != row.owner_name:
                problems.append(
                    Problem(
                        row.row,
                        None,
                        _("The mobile number %(phone)s is given to %(a)s on row %(row)s and to %(b)s here.")
                        % {
                            "phone": mask_phone(row.owner_phone),
                            "a": named[0],
                            "row": named[1],
                            "b": row.owner_name,
                        },
                    )
                )
                continue
        found = units.get(row.key)
        if found is None:
            status = "new"
            plan._to_create.append(row)
            if row.building not in buildings and row.building not in new_buildings:
                new_buildings.append(row.building)
            if row.owner_phone:
                refusal = _owner_link_refusal(row, actor, standing)
                if refusal:
                    problems.append(Problem(row.row, row.phone_column, refusal))
                    continue
                plan._owner_links.append(row)
        else:
            unit_id, area = found
            if area != row.floor_area:
                problems.append(
                    Problem(
                        row.row,
                        None,
                        _(
                            "%(unit)s is already registered with %(old)s m²; the file says %(new)s m². "
                            "The floor area drives the bills: change it on the unit itself (an audited change), "
                            "not by import."
                        )
                        % {"unit": row.label, "old": area, "new": row.floor_area},
                    )
                )
                continue
            status = "existing"
            current = owners.get(unit_id, set())
            if row.owner_phone and row.owner_phone in current:
                plan.existing_owner_links += 1
            elif row.owner_phone and current:
                problems.append(
                    Problem(
                        row.row,
                        None,
                        _(
                            "%(unit)s already has an owner, and not this one. A change of owner is recorded "
                            "on its own, not by import."
                        )
                        % {"unit": row.label},
                    )
                )
                continue
            elif row.owner_phone:
                refusal = _owner_link_refusal(row, actor, standing)
                if refusal:
                    problems.append(Problem(row.row, row.phone_column, refusal))
                    continue
                plan._owner_links.append(row)
        if len(plan.preview) < PREVIEW_ROWS:
            plan.preview.append(
                {
                    "row": row.row,
                    "unit": row.label,
                    "floor_area": str(row.floor_area),
                    "owner_name": row.owner_name,
                    "owner_phone": mask_phone(row.owner_phone) if row.owner_phone else "",
                    "status": status,
                }
            )
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise UnitImportError(sorted(problems[:MAX_PROBLEMS], key=lambda p: p.row or 0))
    plan.new_units = len(plan._to_create)
    plan.existing_units = plan.rows - plan.new_units
    plan.new_buildings = new_buildings
    plan.new_owner_links = len(plan._owner_links)
    phones = {row.owner_phone for row in plan._owner_links}
    known = set(User.objects.filter(phone__in=phones).values_list("phone", flat=True))
    plan.new_accounts = len(phones - known)
    return plan


def _check_actor(compound: Compound, actor) -> Standing:
    standing = standing_in(actor, compound)
    if not standing.can(Capability.MANAGE_UNITS):
        raise PermissionDeniedError(
            _("Only these roles add units to a compound: %(roles)s.")
            % {"roles": "、".join(str(label) for label in roles_with(Capability.MANAGE_UNITS))},
            extra={"capability": str(Capability.MANAGE_UNITS)},
        )
    return standing


def units_import_plan(*, compound: Compound, data: bytes, file_name: str, actor) -> UnitImportPlan:
    """Read and check the file against the compound; write nothing (the preview, ``--dry-run``)."""
    standing = _check_actor(compound, actor)
    return _plan(compound=compound, data=data, file_name=file_name, actor=actor, standing=standing)


def _sort_key(name: str) -> int:
    match = re.match(r"^(\d+)栋$", name)
    return int(match[1]) if match else 0


@transaction.atomic(durable=True)
def units_import(*, compound: Compound, data: bytes, file_name: str, actor) -> UnitImportPlan:
    """Add the file's units (and owner links) to the compound, all or nothing; one audit event.

    The compound row is locked first, so two imports of the same roster run one after the
    other and the second finds every unit already there."""
    standing = _check_actor(compound, actor)
    compound = Compound.objects.select_for_update().get(pk=compound.pk)
    plan = _plan(compound=compound, data=data, file_name=file_name, actor=actor, standing=standing)
    try:
        with transaction.atomic():
            _write(compound, plan)
    except IntegrityError as exc:  # a unit or an account added meanwhile by another way
        raise ConflictError(
            _(
                "The compound's units changed while the file was being imported; nothing was added. Import it again."
            )
        ) from exc
    plan.written = True
    audit_record(
        actor=actor,
        action="units.import",
        obj=compound,
        compound=compound,
        after={
            "file_name": plan.file_name[:200],
            "sha256": plan.sha256,
            "rows": plan.rows,
            "new_units": plan.new_units,
            "existing_units": plan.existing_units,
            "new_buildings": plan.new_buildings,
            "new_owner_links": plan.new_owner_links,
            "new_accounts": plan.new_accounts,
        },
    )
    return plan


def _write(compound: Compound, plan: UnitImportPlan) -> None:
    buildings = {building_name(b.name): b for b in Building.objects.filter(compound=compound)}
    if plan.new_buildings:
        created = Building.objects.bulk_create(
            Building(compound=compound, name=name, sort_key=_sort_key(name)) for name in plan.new_buildings
        )
        buildings.update({b.name: b for b in created})
    new_units = Unit.objects.bulk_create(
        Unit(
            compound=compound,
            building=buildings[row.building],
            entrance=row.entrance,
            number=row.room,
            floor_area=row.floor_area,
        )
        for row in plan._to_create
    )
    if not plan._owner_links:
        return
    unit_ids = {(building_name(u.building.name), u.entrance, u.number): u.pk for u in new_units}
    wanted = {row.key for row in plan._owner_links} - set(unit_ids)
    if wanted:
        for unit in Unit.objects.filter(compound=compound).select_related("building"):
            key = (building_name(unit.building.name), entrance_name(unit.entrance), unit.number)
            if key in wanted:
                unit_ids[key] = unit.pk
    phones = {row.owner_phone: row.owner_name for row in plan._owner_links}
    users = {u.phone: u for u in User.objects.filter(phone__in=phones)}
    for phone, name in phones.items():
        if phone not in users:
            # No password: the owner logs in with a code sent to this number.
            users[phone] = User.objects.create_user(phone=phone, password=None, display_name=name)
    today = timezone.localdate()
    UnitOwnership.objects.bulk_create(
        UnitOwnership(
            compound=compound, unit_id=unit_ids[row.key], user=users[row.owner_phone], start_date=today
        )
        for row in plan._owner_links
    )


__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "Problem",
    "UnitImportError",
    "UnitImportPlan",
    "template_csv",
    "units_import",
    "units_import_plan",
]
