"""Bank statement import: encodings, the all-or-nothing rule with a per-row report,
re-imports and overlapping statements, unit matching, suspense."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from communities.models import AuditEvent
from escrow.fees.selectors import UnitMatcher, normalize_reference
from escrow.fees.services.imports import StatementImportError, statement_import
from escrow.models import BankLine, Category, EntryKind, LedgerAccount, Payment, StatementImport
from tests.escrow.fees.helpers import (
    HEADER,
    add_unit,
    assert_ledgers_verify,
    client_for,
    counts,
    csv_text,
    make_mapping,
    payment_of,
    row,
)


@pytest.fixture
def bank(escrow_world):
    return make_mapping(escrow_world.a)


def _ref(w, unit=None):
    return (unit or w.unit_a).reference  # e.g. SHANGCHENG-7-1栋-1-101


def _rows(w):
    return [
        row("2026-03-01", "107.40", "B0001", f"物业费 {_ref(w)}"),
        row("2026-03-02", "1,234.50", "B0002", f"{_ref(w, w.unit_a.building.units.get(number='102'))} 1-3月"),
        row("2026-03-03", "50.00", "B0003", "转账", payer="李四"),  # no reference: suspense
        row("2026-03-04", "", "B0004", "银行手续费", debit="2.00"),  # money out: a bank charge
    ]


def _import(w, mapping, text: str | bytes, *, encoding="utf-8", name="march.csv", actor=None):
    data = text if isinstance(text, bytes) else text.encode(encoding)
    return statement_import(compound=w.a, mapping=mapping, file_name=name, data=data, actor=actor or w.staff)


def _refused(w, mapping, data, **kwargs) -> list[dict]:
    before = counts()
    with pytest.raises(StatementImportError) as caught:
        _import(w, mapping, data, **kwargs)
    assert counts() == before, "a refused file must write nothing"
    assert set(caught.value.extra) >= {"rows", "fields"}
    return caught.value.extra["rows"]


@pytest.mark.parametrize(
    ("encoding", "prefix", "label"),
    [("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8-bom"), ("gbk", b"", "gbk")],
)
def test_utf8_bom_and_gbk_files_import_the_same(escrow_world, bank, encoding, prefix, label):
    w = escrow_world
    data = prefix + csv_text(_rows(w)).encode(encoding)
    record = _import(w, bank, data)

    assert (
        record.encoding,
        record.rows,
        record.posted,
        record.unidentified,
        record.ignored,
        record.skipped,
    ) == (
        label,
        4,
        4,
        1,
        0,
        0,
    )
    assert record.posted_fen == 10740 + 123450 + 5000 + 200
    assert record.summary["fee"] == [2, 10740 + 123450]
    assert record.summary["charge"] == [1, 200]
    payments = {serial: payment_of(serial) for serial in ("B0001", "B0002", "B0003")}
    assert payments["B0001"].unit == w.unit_a
    assert payments["B0002"].amount_fen == 123450  # "1,234.50"
    assert payments["B0003"].unit is None
    assert (payments["B0003"].payer_name, payments["B0003"].statement_memo) == ("李四", "转账")
    assert payments["B0001"].payer_name == ""  # kept only for unidentified receipts
    assert payments["B0001"].entry.kind == EntryKind.FEE_PAYMENT
    line = BankLine.objects.get(serial="B0001")
    assert payments["B0001"].entry.idempotency_key == f"bank-line:{line.identity}"
    assert line.identity_basis == "serial"
    assert payments["B0003"].entry.kind == EntryKind.UNIDENTIFIED_RECEIPT
    balances = {a.category: a.normal_balance for a in LedgerAccount.objects.filter(compound=w.a)}
    assert balances[Category.ESCROW_CASH] == 139190 - 200
    assert balances[Category.BANK_FEES] == 200
    assert balances[Category.FEE_INCOME] == 134190
    assert balances[Category.SUSPENSE] == 5000
    assert len(record.sha256) == 64
    assert AuditEvent.objects.filter(action="statement.import", object_id=str(record.pk)).exists()
    assert_ledgers_verify(w.a, w.b)


def test_the_same_file_again_posts_nothing_and_counts_the_skipped_rows(escrow_world, bank):
    w = escrow_world
    text = csv_text(_rows(w))
    first = _import(w, bank, text)
    before = counts()
    second = _import(w, bank, text)
    assert (second.posted, second.skipped, second.unidentified, second.posted_fen) == (0, 4, 0, 0)
    assert second.sha256 == first.sha256
    after = counts()
    assert (after.entries, after.lines, after.payments) == (before.entries, before.lines, before.payments)
    assert after.imports == before.imports + 1  # the attempt itself is recorded
    assert_ledgers_verify(w.a)


def test_the_same_file_under_another_mapping_name_posts_nothing(escrow_world, bank):
    """The mapping's bank name is an editable label; the compound has one escrow account,
    so a bank reference posts once whatever the mapping is called."""
    w = escrow_world
    text = csv_text(_rows(w))
    _import(w, bank, text)
    before = counts()
    renamed = make_mapping(w.a, bank_name="中国银行咸宁分行")
    again = _import(w, renamed, text)
    assert (again.posted, again.skipped) == (0, 4)
    after = counts()
    assert (after.entries, after.lines, after.payments) == (before.entries, before.lines, before.payments)
    assert_ledgers_verify(w.a)


def test_an_overlapping_statement_posts_only_the_new_rows(escrow_world, bank):
    w = escrow_world
    _import(w, bank, csv_text(_rows(w)[:2]))
    overlapping = [*_rows(w)[1:3], row("2026-03-09", "300.00", "B0005", f"{_ref(w)}")]
    record = _import(w, bank, csv_text(overlapping), name="march-2.csv")
    assert (record.posted, record.skipped, record.unidentified) == (2, 1, 1)
    assert sorted(BankLine.objects.values_list("serial", flat=True)) == ["B0001", "B0002", "B0003", "B0005"]
    assert Payment.objects.count() == 4
    assert_ledgers_verify(w.a)


def test_a_wrong_encoding_is_refused_as_a_whole(escrow_world, bank):
    w = escrow_world
    problems = _refused(w, bank, b"\x00\x01\x02binary\xff\xfe\x00" * 20)
    assert len(problems) == 1 and problems[0]["row"] is None


def test_a_file_pinned_to_utf8_refuses_gbk(escrow_world):
    w = escrow_world
    mapping = make_mapping(w.a, bank_name="工商银行", encoding="utf-8")
    _refused(w, mapping, csv_text(_rows(w)).encode("gbk"))


def test_missing_columns_are_named_in_the_header_check(escrow_world, bank):
    w = escrow_world
    header = ["交易日期", "金额", "借方金额", "流水号", "备注", "对方户名"]
    problems = _refused(w, bank, csv_text(_rows(w), header=header))
    assert [(p["row"], p["column"]) for p in problems] == [(1, "贷方金额"), (1, "摘要")]


def test_a_truncated_last_line_is_refused_with_its_row_number(escrow_world, bank):
    w = escrow_world
    text = csv_text(_rows(w)[:3]) + "2026-03-04,88.00,,B00"  # cut off in the middle
    problems = _refused(w, bank, text)
    assert [(p["row"], p["column"]) for p in problems] == [(5, "摘要")]
    assert "4" in problems[0]["message"] and "6" in problems[0]["message"]


def test_a_line_cut_inside_a_quoted_field_is_refused(escrow_world, bank):
    w = escrow_world
    text = csv_text(_rows(w)[:2]) + '2026-03-04,"1,00'
    problems = _refused(w, bank, text)
    assert [p["row"] for p in problems] == [4]


def test_two_identical_looking_lines_with_their_own_serials_both_post(escrow_world, bank):
    w = escrow_world
    rows = [*_rows(w)[:1], row("2026-03-01", "107.40", "B0009", f"物业费 {_ref(w)}")]
    record = _import(w, bank, csv_text(rows))
    assert (record.posted, record.skipped) == (2, 0)


def test_every_bad_row_is_reported_with_row_and_column(escrow_world, bank):
    w = escrow_world
    rows = [
        row("2026-03-01", "107.40", "C1", "ok"),
        row("2026-03-03", "12.345", "C3", "three decimals"),
        row("2026-03-05", "abc", "C5", "not a number"),
        row("2026-03-06", "0", "C6", "zero"),
        row("2026-03-07", "100000000.01", "C7", "above the ceiling"),
    ]
    problems = _refused(w, bank, csv_text(rows))
    assert [(p["row"], p["column"]) for p in problems] == [
        (3, "贷方金额"),
        (4, "贷方金额"),
        (5, "贷方金额"),
        (6, "贷方金额"),
    ]
    dates = [
        row("2026-03-01", "107.40", "D1", "ok"),
        row("2099-01-01", "1.00", "D9", "future"),
        row("2025-11-30", "1.00", "D10", "before the account opened"),
    ]
    problems = _refused(w, bank, csv_text(dates))
    assert [(p["row"], p["column"]) for p in problems] == [(3, "交易日期"), (4, "交易日期")]


def test_lines_above_the_header_are_skipped(escrow_world):
    w = escrow_world
    mapping = make_mapping(w.a, bank_name="建设银行", date_format="%Y/%m/%d")
    preamble = "账号:6222****0123\r\n户名:尚城国际共管账户\r\n"
    text = csv_text([row("2026/03/01", "107.40", "J1", _ref(w))], preamble=preamble)
    record = _import(w, mapping, text)
    assert record.posted == 1
    assert Payment.objects.get().received_on == dt.date(2026, 3, 1)


def test_an_empty_file_and_a_header_without_rows_are_refused(escrow_world, bank):
    w = escrow_world
    _refused(w, bank, b"")
    record = _import(w, bank, csv_text([]))  # a month without movements
    assert (record.rows, record.posted) == (0, 0)


def test_a_mapping_of_another_compound_cannot_be_used(escrow_world, bank):
    w = escrow_world
    other = make_mapping(w.b)
    with pytest.raises(StatementImportError):
        statement_import(compound=w.a, mapping=other, file_name="x.csv", data=b"x", actor=w.staff)


# --------------------------------------------------------------------------- matching memos to units


@pytest.mark.parametrize(
    "memo",
    [
        "{ref}",
        "物业费 {ref} 陈",
        "{lower}",
        "{fullwidth}",
        "{slug} 1栋 1单元 101室",
        "{slug}/1/1/101",
        "1栋1单元101 物业费",
        "1-1-101",
        "缴费：1栋-1-101，谢谢",
    ],
)
def test_memo_variants_match_the_unit(escrow_world, memo):
    w = escrow_world
    ref = w.unit_a.reference
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in ref)
    text = memo.format(ref=ref, lower=ref.lower(), fullwidth=fullwidth, slug=w.a.slug)
    assert UnitMatcher.for_compound(w.a).match(text) == w.unit_a, normalize_reference(text)


@pytest.mark.parametrize(
    "memo",
    ["", "转账", "1栋-1-1010", "2栋-1-101", "11-1-101", "{slug_b}-1栋-1-101", "1-1-101 和 1-1-102"],
)
def test_memos_naming_no_unit_or_two_units_match_none(escrow_world, memo):
    w = escrow_world
    text = memo.format(slug_b=w.b.slug)
    if "{slug_b}" in memo:
        # Another compound's slug is not this compound's reference; the bare part
        # would match, so the statement's compound decides: it is still this unit.
        assert UnitMatcher.for_compound(w.a).match(text) == w.unit_a
        return
    assert UnitMatcher.for_compound(w.a).match(text) is None


# --------------------------------------------------------------------------- suspense


def _suspense_payment(w, bank):
    _import(w, bank, csv_text(_rows(w)))
    return Payment.objects.get(unit__isnull=True)


def test_an_authorised_user_assigns_a_receipt_from_suspense(escrow_world, bank):
    w = escrow_world
    payment = _suspense_payment(w, bank)
    url = reverse("api:escrow-suspense-assign", args=[w.a.slug, payment.pk])
    client = client_for(w.manager)
    assert client.get(reverse("api:escrow-suspense-list", args=[w.a.slug])).json()["count"] == 1

    response = client.post(url, {"unit": w.unit_a.pk}, content_type="application/json")
    assert response.status_code == 201, response.json()
    payment.refresh_from_db()
    assert (payment.unit, payment.assigned_by) == (w.unit_a, w.manager)
    entry = payment.assignment_entry
    assert (entry.kind, entry.idempotency_key) == (EntryKind.SUSPENSE_ASSIGNMENT, f"suspense:{payment.pk}")
    assert sorted((line.account.category, line.side, line.amount) for line in entry.lines.all()) == [
        (Category.FEE_INCOME, "C", 5000),
        (Category.SUSPENSE, "D", 5000),
    ]
    balances = {a.category: a.normal_balance for a in LedgerAccount.objects.filter(compound=w.a)}
    assert balances[Category.SUSPENSE] == 0
    assert client.get(reverse("api:escrow-suspense-list", args=[w.a.slug])).json()["count"] == 0
    assert AuditEvent.objects.filter(action="payment.suspense_assign", object_id=str(payment.pk)).exists()

    before = counts()
    again = client.post(url, {"unit": w.unit_a.pk}, content_type="application/json")
    assert again.status_code == 200
    assert counts() == before
    other = client.post(
        url, {"unit": w.unit_a.building.units.get(number="102").pk}, content_type="application/json"
    )
    assert other.status_code == 409
    assert counts() == before
    assert_ledgers_verify(w.a)


def test_suspense_cannot_be_assigned_to_another_compounds_unit_or_from_another_compound(escrow_world, bank):
    w = escrow_world
    payment = _suspense_payment(w, bank)
    client = client_for(w.official)
    url = reverse("api:escrow-suspense-assign", args=[w.a.slug, payment.pk])
    response = client.post(url, {"unit": w.unit_b.pk}, content_type="application/json")
    assert response.status_code == 400 and "unit" in response.json()["extra"]["fields"]
    # The payment through compound B's URL does not exist.
    street_admin = client_for(w.street_admin)
    other = reverse("api:escrow-suspense-assign", args=[w.b.slug, payment.pk])
    assert street_admin.post(other, {"unit": w.unit_b.pk}, content_type="application/json").status_code in (
        403,
        404,
    )
    payment.refresh_from_db()
    assert payment.unit is None


def test_the_suspense_page_assigns_by_reference(escrow_world, bank):
    w = escrow_world
    payment = _suspense_payment(w, bank)
    client = client_for(w.official)
    page = client.get(reverse("escrow:suspense", args=[w.a.slug]))
    assert "李四" in page.content.decode()
    url = reverse("escrow:suspense-assign", args=[w.a.slug, payment.pk])
    bad = client.post(url, {"unit": "9栋-9-999"})
    assert bad.status_code == 400
    good = client.post(url, {"unit": "1栋-1-101"})
    assert good.status_code == 302
    payment.refresh_from_db()
    assert payment.unit == w.unit_a
    assert_ledgers_verify(w.a)


# --------------------------------------------------------------------------- pages and API


def test_the_upload_page_previews_then_posts_and_shows_a_per_row_report_on_failure(escrow_world, bank):
    w = escrow_world
    url = reverse("escrow:statement-import", args=[w.a.slug])
    client = client_for(w.staff)
    bad = [*_rows(w), row("2026-03-09", "1.2.3", "B0009", "x")]
    before = counts()
    response = client.post(
        url, {"mapping": bank.pk, "file": SimpleUploadedFile("bad.csv", csv_text(bad).encode("gbk"))}
    )
    assert response.status_code == 200
    assert [(p["row"], p["column"]) for p in response.context["problems"]] == [(6, "贷方金额")]
    assert "贷方金额" in response.content.decode()
    assert counts() == before

    preview = client.post(
        url, {"mapping": bank.pk, "file": SimpleUploadedFile("ok.csv", csv_text(_rows(w)).encode("gbk"))}
    )
    assert preview.status_code == 200
    shown = {row["outcome"]: row["lines"] for row in preview.context["preview"]["rows"]}
    assert shown == {"fee": 2, "suspense": 1, "charge": 1}
    assert counts() == before, "a preview posts nothing"
    confirm = {k: preview.context["preview"][k] for k in ("sha256", "mapping", "file_name")}
    response = client.post(url, {"confirm": "1", **confirm}, follow=True)
    assert StatementImport.objects.get().posted == 4
    assert "ok.csv" in response.content.decode()


def test_the_api_creates_a_mapping_previews_and_imports_a_file(escrow_world):
    w = escrow_world
    client = client_for(w.manager)
    mapping = client.post(
        reverse("api:escrow-statement-mapping-list", args=[w.a.slug]),
        {
            "bank_name": "农业银行",
            "layout": {
                "date_column": HEADER[0],
                "direction": "two_columns",
                "income_column": HEADER[1],
                "expense_column": HEADER[2],
                "serial_column": HEADER[3],
                "memo_columns": [HEADER[4]],
            },
        },
        content_type="application/json",
    )
    assert mapping.status_code == 201, mapping.json()
    url = reverse("api:escrow-statement-import-list", args=[w.a.slug])
    bad = client.post(
        url,
        {
            "mapping": mapping.json()["id"],
            "file": SimpleUploadedFile("x.csv", csv_text(_rows(w)[:1])[:-12].encode()),
        },
    )
    assert bad.status_code == 400
    assert bad.json()["extra"]["rows"][0]["row"] == 2
    data = csv_text(_rows(w)[:3]).encode()
    dry = client.post(
        url, {"mapping": mapping.json()["id"], "dry_run": "true", "file": SimpleUploadedFile("x.csv", data)}
    )
    assert dry.status_code == 200, dry.json()
    assert dry.json()["summary"]["suspense"] == {"lines": 1, "fen": 5000}
    assert StatementImport.objects.count() == 0
    good = client.post(url, {"mapping": mapping.json()["id"], "file": SimpleUploadedFile("x.csv", data)})
    assert good.status_code == 201, good.json()
    assert (good.json()["posted"], good.json()["unidentified"]) == (3, 1)
    assert client.get(url).json()["count"] == 1


def test_a_bad_layout_or_a_duplicate_bank_is_refused_by_field(escrow_world, bank):
    w = escrow_world
    client = client_for(w.manager)
    url = reverse("api:escrow-statement-mapping-list", args=[w.a.slug])
    base = {"date_column": "a", "direction": "signed", "amount_column": "b"}
    dup = client.post(url, {"bank_name": "中国银行", "layout": base}, content_type="application/json")
    assert dup.status_code == 400 and "bank_name" in dup.json()["extra"]["fields"]
    fmt = client.post(
        url,
        {"bank_name": "X", "layout": {**base, "date_format": "yyyy-mm-dd"}},
        content_type="application/json",
    )
    assert fmt.status_code == 400 and "date_format" in fmt.json()["extra"]["fields"]
    two = client.post(
        url,
        {"bank_name": "Y", "layout": {"date_column": "a", "direction": "two_columns", "income_column": "b"}},
        content_type="application/json",
    )
    assert two.status_code == 400 and "expense_column" in two.json()["extra"]["fields"]


def test_a_new_unit_is_matched_by_later_imports(escrow_world, bank):
    w = escrow_world
    unit = add_unit(w, "1502", "118.00", entrance="2")
    record = _import(w, bank, csv_text([row("2026-03-01", "141.60", "N1", "尚城 1栋2单元1502室")]))
    assert record.unidentified == 0
    assert Payment.objects.get().unit == unit


def test_a_large_statement_posts_every_row_once(escrow_world, bank):
    """1,500 rows: on PostgreSQL the payments go in by COPY, elsewhere by bulk_create."""
    w = escrow_world
    rows = [
        row(
            f"2026-03-{n % 28 + 1:02d}",
            f"{1000 + n:,}.{n % 100:02d}",
            f"L{n:05d}",
            _ref(w) if n % 3 else "转账",
        )
        for n in range(1500)
    ]
    record = _import(w, bank, csv_text(rows).encode("gbk"))
    assert (record.posted, record.unidentified) == (1500, 500)
    payments = Payment.objects.filter(compound=w.a)
    assert payments.count() == 1500
    assert payments.filter(unit=w.unit_a).count() == 1000
    assert not payments.filter(created_at__isnull=True).exists()
    first = payment_of("L00001")
    assert (first.amount_fen, first.received_on, first.entry.idempotency_key) == (
        100101,
        dt.date(2026, 3, 2),
        f"bank-line:{first.reference}",
    )
    assert payment_of("L00000").statement_memo == "转账"
    assert record.posted_fen == sum(payments.values_list("amount_fen", flat=True))
    again = _import(w, bank, csv_text(rows).encode("gbk"))
    assert (again.posted, again.skipped) == (0, 1500)
    assert_ledgers_verify(w.a)


def test_the_mapping_page_creates_and_changes_a_mapping(escrow_world):
    from escrow.models import BankStatementMapping

    w = escrow_world
    client = client_for(w.official)
    data = {
        "bank_name": "工商银行",
        "date_column": "记账日期",
        "direction": "two_columns",
        "income_column": "收入金额",
        "expense_column": "支出金额",
        "serial_column": "交易流水号",
        "memo_column": "用途",
        "income_values": "收入",
        "expense_values": "支出",
    }
    response = client.post(reverse("escrow:statement-mapping-new", args=[w.a.slug]), data)
    assert response.status_code == 302, response.context["form"].errors
    mapping = BankStatementMapping.objects.get(compound=w.a)
    assert (mapping.layout["serial_column"], mapping.created_by) == ("交易流水号", w.official)

    edit = reverse("escrow:statement-mapping-edit", args=[w.a.slug, mapping.pk])
    assert client.get(edit).status_code == 200
    bad = client.post(edit, {**data, "expense_column": "收入金额"})
    assert bad.status_code == 200 and bad.context["form"].errors
    client.post(edit, {**data, "memo_column": "附言"})
    mapping.refresh_from_db()
    assert mapping.layout["memo_columns"] == ["附言"]
    assert AuditEvent.objects.filter(action="statement_mapping.update", object_id=str(mapping.pk)).exists()
