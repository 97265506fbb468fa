"""``python manage.py import_units SLUG FILE --as EMAIL [--dry-run] [--json]``

The roster of a compound's units from a CSV/XLSX file, as the page imports it and with the
same permission rule for the person named by ``--as``. Scripts and schedulers rely on the
exit status: 0 when the file was taken (also when every unit in it was already there),
1 when it was refused (the message and every problem on stderr), 2 for a usage error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import User
from common.errors import ApplicationError
from common.phone import normalize_phone
from communities.permissions import Capability, CapabilityDenied, access_compound, roles_with
from communities.unit_import import MAX_BYTES, UnitImportPlan, units_import, units_import_plan


def _person(identifier: str) -> User | None:
    """The active account with this e-mail address (any case) or, for people who log in by
    phone only, this mobile number."""
    identifier = identifier.strip()
    if not identifier:
        return None
    if "@" in identifier:
        return User.objects.filter(email__iexact=identifier, is_active=True).order_by("pk").first()
    try:
        phone = normalize_phone(identifier)
    except ValidationError:
        return None
    return User.objects.filter(phone=phone, is_active=True).order_by("pk").first()


class Refused(Exception):
    def __init__(self, message: str, problems: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


class Command(BaseCommand):
    help = "Import a compound's units (楼栋, 单元, 房号, 建筑面积) from a CSV or XLSX file, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the compound's slug, e.g. shangcheng")
        parser.add_argument("file", help="a CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX file")
        parser.add_argument(
            "--as",
            dest="as_email",
            required=True,
            metavar="EMAIL",
            help="the person importing: their e-mail (or mobile number)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check and preview; write nothing")
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="print the result as JSON on stdout"
        )

    def handle(self, *args, slug, file, as_email, dry_run, as_json, **options):
        try:
            plan = self._run(slug=slug, path=Path(file), email=as_email, dry_run=dry_run)
        except Refused as exc:
            self.stderr.write(exc.message)
            for problem in exc.problems:
                self.stderr.write(self._problem_line(problem))
            if as_json:
                self._dump({"ok": False, "message": exc.message, "problems": exc.problems})
            sys.exit(1)
        if as_json:
            self._dump({"ok": True, "dry_run": dry_run, **plan.as_dict()})
        else:
            self.stdout.write(self._summary(plan, dry_run))

    def _run(self, *, slug: str, path: Path, email: str, dry_run: bool) -> UnitImportPlan:
        user = _person(email)
        if user is None:
            raise Refused(_("No active account has the e-mail address %(email)s.") % {"email": email})
        try:
            compound, _standing = access_compound(user, slug, Capability.MANAGE_UNITS)
        except CapabilityDenied:
            raise Refused(
                _("%(email)s may not import units into %(slug)s: only %(roles)s may.")
                % {
                    "email": email,
                    "slug": slug,
                    "roles": "、".join(str(r) for r in roles_with(Capability.MANAGE_UNITS)),
                }
            ) from None
        except Http404:
            # The same answer for a compound that does not exist and one this person may not see.
            raise Refused(
                _("No compound %(slug)s that %(email)s may see.") % {"slug": slug, "email": email}
            ) from None
        try:
            if path.stat().st_size > MAX_BYTES:
                raise Refused(_("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
            data = path.read_bytes()
        except OSError as exc:
            raise Refused(
                _("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc.strerror or exc}
            ) from None
        service = units_import_plan if dry_run else units_import
        try:
            return service(compound=compound, data=data, file_name=path.name, actor=user)
        except ApplicationError as exc:
            raise Refused(exc.message, exc.extra.get("rows")) from None

    def _summary(self, plan: UnitImportPlan, dry_run: bool) -> str:
        values = {
            "file": plan.file_name,
            "rows": plan.rows,
            "new": plan.new_units,
            "existing": plan.existing_units,
            "buildings": len(plan.new_buildings),
            "owners": plan.new_owner_links,
            "accounts": plan.new_accounts,
        }
        if dry_run:
            head = _(
                "%(file)s checked, nothing written (dry run): %(rows)s units, %(new)s would be new, "
                "%(existing)s already there; %(buildings)s new buildings, %(owners)s owner links "
                "(%(accounts)s new accounts)."
            )
        else:
            head = _(
                "%(file)s imported: %(rows)s units, %(new)s new, %(existing)s already there; "
                "%(buildings)s new buildings, %(owners)s owner links (%(accounts)s new accounts)."
            )
        lines = [head % values]
        for item in plan.preview:
            lines.append(
                "  {row:>5}  {unit}  {area} m²  {status}  {owner}".format(
                    row=item["row"],
                    unit=item["unit"],
                    area=item["floor_area"],
                    status=item["status"],
                    owner=" ".join(filter(None, [item["owner_name"], item["owner_phone"]])),
                ).rstrip()
            )
        return "\n".join(lines)

    @staticmethod
    def _problem_line(problem: dict) -> str:
        where = []
        if problem.get("row") is not None:
            where.append(_("row %(n)s") % {"n": problem["row"]})
        if problem.get("column"):
            where.append(_("column “%(c)s”") % {"c": problem["column"]})
        return f"  {', '.join(where)}: {problem['message']}" if where else f"  {problem['message']}"

    def _dump(self, data: dict) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
