"""python manage.py import_statement SLUG FILE --as EMAIL [--dry-run] [--json] [--mapping NAME]

Imports a bank or wallet statement of the compound's escrow account as the upload page
does (layout recognised from the header, or the compound's saved custom layout NAME),
acting as the person EMAIL, who must be allowed to record payments there. Prints the
preview (what each kind of line posts); exit status 0 when the file was taken (also when
nothing in it was new), 1 when it was refused (the message on stderr), 2 on bad usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.money import format_yuan
from communities.models import Compound
from communities.permissions import Capability, standing_in
from escrow.fees.services import imports
from escrow.models import BankLineOutcome, BankStatementMapping


class Command(BaseCommand):
    help = "Import a bank or wallet statement file into a compound's escrow account."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("file")
        parser.add_argument("--as", dest="email", required=True, help="The e-mail of the person importing.")
        parser.add_argument(
            "--mapping", default="", help="A saved custom layout's name (default: recognise)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Print the preview; post nothing.")
        parser.add_argument("--json", action="store_true", help="Print the preview as JSON.")

    def handle(self, *args, **options):
        compound = Compound.objects.filter(slug=options["slug"]).first()
        if compound is None:
            raise CommandError(_("No compound %(slug)s.") % {"slug": options["slug"]}, returncode=2)
        user = get_user_model().objects.filter(email__iexact=options["email"], is_active=True).first()
        if user is None or not standing_in(user, compound).can(Capability.RECORD_PAYMENT_RECEIVED):
            raise CommandError(
                _("%(email)s may not record payments in %(slug)s.")
                % {"email": options["email"], "slug": compound.slug},
                returncode=2,
            )
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(str(exc), returncode=2) from None
        mapping = None
        if options["mapping"]:
            mapping = BankStatementMapping.objects.filter(
                compound=compound, bank_name=options["mapping"]
            ).first()
            if mapping is None:
                raise CommandError(
                    _("No saved layout %(name)s.") % {"name": options["mapping"]}, returncode=2
                )
        try:
            plan = imports.statement_preview(compound=compound, data=data, mapping=mapping)
            record = None
            if not options["dry_run"]:
                record = imports.statement_import(
                    compound=compound, file_name=path.name, data=data, actor=user, mapping=mapping
                )
        except ApplicationError as exc:
            sys.stderr.write(exc.message + "\n")
            for problem in exc.extra.get("rows", [])[:200]:
                where = " ".join(
                    part
                    for part in (
                        _("line %(n)s") % {"n": problem["row"]} if problem.get("row") else "",
                        f"「{problem['column']}」" if problem.get("column") else "",
                    )
                    if part
                )
                sys.stderr.write(
                    f"  {where}: {problem['message']}\n" if where else f"  {problem['message']}\n"
                )
            raise SystemExit(1) from None
        if record is not None:
            # What was posted, under the lock (a concurrent import may have taken lines meanwhile).
            summary = {k: {"lines": v[0], "fen": v[1]} for k, v in record.summary.items()}
        else:
            summary = {k: {"lines": v[0], "fen": v[1]} for k, v in plan.summary().items()}
        if options["json"]:
            out = plan.as_dict()
            out["summary"] = summary
            out["posted"] = record is not None
            out["import_id"] = record.pk if record is not None else None
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2))
            return
        labels = dict(BankLineOutcome.choices)
        labels["skipped"] = _("Already imported")
        self.stdout.write(
            f"{plan.parsed.layout_name} · {plan.parsed.encoding} · "
            + (_("%(n)s lines") % {"n": len(plan.parsed.lines)})
        )
        for key, value in summary.items():
            if value["lines"]:
                amount = "" if key == "skipped" else f"  {format_yuan(value['fen'])}"
                self.stdout.write(f"  {labels[key]}: {value['lines']}{amount}")
        for item in plan.flagged():
            self.stdout.write(
                f"  ! {_('line %(n)s') % {'n': item.line.line}} {item.line.date} "
                f"{format_yuan(item.line.amount_fen)} {item.line.counterparty} {item.problem}".rstrip()
            )
        self.stdout.write(_("Dry run: nothing posted.") if record is None else _("Imported."))
