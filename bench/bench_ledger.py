"""The escrow ledger: posting throughput, balance reads and the entries API as the
journal grows from 10k to 1M lines in one compound.

* Posting: N payments, each in its own transaction, through ``ledger_post`` (compound
  lock, account locks, idempotency lookup, chain, cached balances) against a raw
  INSERT of the very same rows (one entry + two lines per transaction) — the ratio is
  what the service's guarantees cost on top of writing the rows. Also a batch
  (``ledger_post_batch``, as a statement import posts) for entries/s.
* Journals of 10k and 1M lines are bulk-built in Python + COPY with the hash chain,
  running balances, versions and cached balances computed exactly as the posting
  service does. The 10k one is loaded with every database rule on (each chunk's
  commit runs the balanced-entry and same-compound checks per row); the 1M one, as
  a superuser, without row triggers and then checked set-based over the compound —
  per-row checks would take minutes on a small machine. ``ledger_verify`` re-checks
  both from genesis (timed).
* Reads: ``cash_balance`` / ``balances_by_category`` and the entries API's first
  page, at 10k and at 1M lines, measured interleaved so drift hits both alike.
* The resident's ledger page (``/c/<slug>/ledger/``: rows, counterparties, running
  balances and the totals of the filter) — unfiltered, with a period and with a
  category — at a tenth of the large journal and at the large one, against a bare
  DB-backed Django view (20 journal entries by an indexed query, a trivial template,
  the same middleware and signed-in session) in the same run. The period holds the
  same number of entries at both sizes, so "flat" compares like with like. Then the
  CSV and XLSX exports of one such period.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import statistics
import time

from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from accounts.models import User
from communities import services
from escrow.ledger.hashing import content_fingerprint, entry_hash
from escrow.ledger.services import (
    PostingRequest,
    balances_by_category,
    cash_balance,
    credit,
    debit,
    escrow_account_open,
    ledger_post,
    ledger_post_batch,
)
from escrow.ledger.verification import ledger_verify
from escrow.models import (
    NECESSARY_COST_CATEGORIES,
    Category,
    EntryKind,
    EscrowAccount,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Side,
)

OPENED_ON = dt.date(2020, 1, 1)
POSTINGS = 1_000
BATCHES, BATCH_SIZE = 3, 1_000
SMALL_LINES = 10_000
CHUNK_ENTRIES = 100_000
READ_ROUNDS = 400
API_ROUNDS = 60
PAGE_ROUNDS = 40
PERIOD_ENTRIES = 2_000  # entries in the period of the period-filter figures, at every size


def run(report) -> None:
    big_lines = report.options.big_lines
    setup = _setup()
    report.section("Ledger · posting throughput (one payment per transaction)")
    _posting(report, setup)

    report.section(f"Ledger · building journals of {SMALL_LINES:,} and {big_lines:,} lines")
    _build(report, setup["small"], SMALL_LINES // 2, label="10k", triggers=True)
    _build(report, setup["big"], big_lines // 2, label=f"{big_lines // 1000:,}k", triggers=False)
    with report.timer() as t:
        result = ledger_verify(setup["small"])
    assert result.ok, result.problems
    report.add("ledger_verify, 10k lines", t.seconds * 1000, "ms", "from genesis: chain, balances, caches")

    report.section("Ledger · balance reads (cached, versioned balances)")
    _balance_reads(report, setup)

    report.section("Ledger · entries API (keyset pages, no OFFSET, no COUNT)")
    _entries_api(report, setup)

    report.section(
        f"Ledger · the resident's ledger page at {big_lines // 10_000:,}k and {big_lines // 1000:,}k lines"
    )
    _build(report, setup["mid"], big_lines // 20, label=f"{big_lines // 10_000:,}k", triggers=False)
    _ledger_page(report, setup)

    report.section("Ledger · verify_ledger on the large journal")
    with report.timer() as t:
        result = ledger_verify(setup["big"])
    assert result.ok, result.problems[:5]
    report.add(f"ledger_verify, {big_lines:,} lines", t.seconds, "s", f"{big_lines / t.seconds:,.0f} lines/s")


# --------------------------------------------------------------------------- setup


def _setup() -> dict:
    office = services.street_office_create(name="浮山街道(基准)", actor=None)
    community = services.community_create(street_office=office, name="书台社区", actor=None)
    member = User.objects.create_user(
        phone="+8613900000001", password="bench-not-secret", display_name="基准"
    )
    out = {"member": member}
    for key, name in [
        ("post", "尚城国际"),
        ("raw", "银泉广场"),
        ("small", "龙泉花园"),
        ("mid", "桂花苑"),
        ("big", "温泉小区"),
    ]:
        compound = services.compound_create(community=community, name=name, slug=f"bench-{key}", actor=None)
        escrow_account_open(
            compound=compound,
            bank_name="中国银行咸宁分行",
            account_name=f"{name}共管账户",
            account_number="6222021234567890123",
            opened_on=OPENED_ON,
            actor=None,
        )
        services.membership_create(user=member, role="committee_member", compound=compound, actor=None)
        out[key] = compound
    return out


# --------------------------------------------------------------------------- posting


def _posting(report, setup) -> None:
    compound, raw = setup["post"], setup["raw"]
    today = timezone.localdate()
    with report.timer() as service:
        for i in range(POSTINGS):
            with transaction.atomic(durable=True):
                ledger_post(
                    compound=compound,
                    kind=EntryKind.FEE_PAYMENT,
                    legs=[debit(Category.ESCROW_CASH, 10_000 + i), credit(Category.FEE_INCOME, 10_000 + i)],
                    memo=f"1栋{i % 30 + 1:02d}01 物业费",
                    effective_date=today,
                    actor=None,
                    idempotency_key=f"bank:{i}",
                )
    report.add("ledger_post", POSTINGS / service.seconds, "entries/s", f"{POSTINGS:,} payments")

    # The same rows, copied to another compound with plain INSERTs, one entry per transaction.
    accounts = dict(LedgerAccount.objects.filter(compound=raw).values_list("code", "pk"))
    entries = list(
        JournalEntry.objects.filter(compound=compound, sequence__gt=0)
        .order_by("sequence")
        .values_list(
            "pk",
            "sequence",
            "kind",
            "memo",
            "effective_date",
            "idempotency_key",
            "fingerprint",
            "prev_hash",
            "hash",
        )
    )
    lines: dict[int, list] = {}
    for entry_id, code, side, amount, version, after in JournalLine.objects.filter(
        compound=compound
    ).values_list("entry_id", "account__code", "side", "amount", "account_version", "balance_after"):
        lines.setdefault(entry_id, []).append((accounts[code], side, amount, version, after))
    now = timezone.now()
    with report.timer() as plain:
        for pk, seq, kind, memo, date, key, fingerprint, prev_hash, digest in entries:
            with transaction.atomic(durable=True), connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO escrow_journalentry (compound_id, sequence, kind, memo, effective_date, created_at,"
                    " idempotency_key, fingerprint, prev_hash, hash) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
                    " RETURNING id",
                    [raw.pk, seq, kind, memo, date, now, key, fingerprint, prev_hash, digest],
                )
                (entry_id,) = cursor.fetchone()
                (a1, s1, m1, v1, b1), (a2, s2, m2, v2, b2) = lines[pk]
                cursor.execute(
                    "INSERT INTO escrow_journalline (compound_id, entry_id, account_id, side, amount,"
                    " account_version, balance_after) VALUES (%s,%s,%s,%s,%s,%s,%s), (%s,%s,%s,%s,%s,%s,%s)",
                    [raw.pk, entry_id, a1, s1, m1, v1, b1, raw.pk, entry_id, a2, s2, m2, v2, b2],
                )
    report.add(
        "raw INSERT of the same rows",
        len(entries) / plain.seconds,
        "entries/s",
        "1 entry + 2 lines per transaction",
    )
    report.ratio(
        "ledger_post time ÷ raw INSERT time",
        service.seconds,
        plain.seconds,
        note="the price of the guarantees",
    )
    _sync_caches(raw)

    with report.timer() as batched:
        for b in range(BATCHES):
            with transaction.atomic(durable=True):
                ledger_post_batch(
                    compound=compound,
                    requests=[
                        PostingRequest(
                            kind=EntryKind.FEE_PAYMENT,
                            legs=[
                                debit(Category.ESCROW_CASH, 5_000 + i),
                                credit(Category.FEE_INCOME, 5_000 + i),
                            ],
                            memo=f"银行流水 {b}-{i}",
                            effective_date=today,
                            idempotency_key=f"stmt:{b}:{i}",
                        )
                        for i in range(BATCH_SIZE)
                    ],
                    actor=None,
                )
    report.add(
        "ledger_post_batch", BATCHES * BATCH_SIZE / batched.seconds, "entries/s", f"batches of {BATCH_SIZE:,}"
    )
    assert ledger_verify(compound).ok


def _sync_caches(compound) -> None:
    """Bring the raw-INSERT compound's caches in line with its lines (so a kept
    database still verifies); not part of any timing."""
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE escrow_ledgeraccount a SET balance = s.balance, version = s.n
                 FROM (SELECT account_id, SUM(CASE side WHEN 'D' THEN amount ELSE -amount END) AS balance,
                              COUNT(*) AS n
                         FROM escrow_journalline WHERE compound_id = %s GROUP BY account_id) s
                WHERE a.id = s.account_id""",
            [compound.pk],
        )
    last = JournalEntry.objects.filter(compound=compound).order_by("-sequence").first()
    EscrowAccount.objects.filter(compound=compound).update(entry_count=last.sequence, head_hash=last.hash)


# --------------------------------------------------------------------------- bulk build

EXPENSES = [*sorted(NECESSARY_COST_CATEGORIES), Category.REPAIRS]
MEMOS = [f"{n}栋 物业费" for n in range(1, 13)]
PAYOUT_MEMO = "必要成本支出"


def _spec(i: int):
    """Entry i of a synthetic journal: mostly fee payments, every 20th a payout to a
    necessary cost or repairs — never more than the cash at hand."""
    if i % 20 == 19:
        amount = 30_000 + (i * 7_919) % 20_000
        category = EXPENSES[(i // 20) % len(EXPENSES)]
        return (
            EntryKind.PAYOUT,
            PAYOUT_MEMO,
            [(category, Side.DEBIT, amount), (Category.ESCROW_CASH, Side.CREDIT, amount)],
        )
    amount = 8_000 + (i * 104_729) % 30_000
    return (
        EntryKind.FEE_PAYMENT,
        MEMOS[i % 12],
        [(Category.ESCROW_CASH, Side.DEBIT, amount), (Category.FEE_INCOME, Side.CREDIT, amount)],
    )


_MEMO_JSON = {memo: json.dumps(memo, ensure_ascii=False) for memo in [*MEMOS, PAYOUT_MEMO]}


def _fast_digests(compound_id, sequence, kind, memo, date_iso, lines, prev_hash) -> tuple[str, str]:
    """escrow.ledger.hashing's canonical forms, written out for this generator's entries
    (no reversal, ASCII codes) — several times faster than the general json.dumps
    path. ``_build`` checks them against escrow.ledger.hashing on a sample, and
    ledger_verify recomputes every hash the general way afterwards."""
    body = ",".join(f'["{c}","{s}",{a}]' for c, s, a in sorted(lines))
    memo_json = _MEMO_JSON[memo]
    canonical = (
        f'{{"compound":{compound_id},"date":"{date_iso}","kind":"{kind}","lines":[{body}],'
        f'"memo":{memo_json},"prev":"{prev_hash}","reverses":null,"seq":{sequence}}}'
    )
    content = f'{{"date":"{date_iso}","kind":"{kind}","lines":[{body}],"memo":{memo_json},"reverses":null}}'
    return (
        hashlib.sha256(canonical.encode()).hexdigest(),
        hashlib.sha256(content.encode()).hexdigest(),
    )


def _is_superuser() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        return bool(cursor.fetchone()[0])


def _build(report, compound, n_entries: int, *, label: str, triggers: bool) -> None:
    """Append ``n_entries`` entries (2 lines each) to the compound's journal, in chunks.

    ``triggers=True``: every database rule runs as for any insert (each chunk's
    commit runs the deferred balance and same-compound checks). ``triggers=False``
    (superuser only): the load runs with ``session_replication_role = replica``,
    which skips the per-row triggers, and the same rules are then checked over the
    whole compound in a few set-based queries — the figures say which was used."""
    if not triggers and not _is_superuser():
        triggers = True  # cannot switch triggers off: the slow, per-row way it is
    accounts = {a.category: a for a in LedgerAccount.objects.filter(compound=compound)}
    codes = {category: a.code for category, a in accounts.items()}
    escrow = EscrowAccount.objects.get(compound=compound)
    balances = {a.pk: a.balance for a in accounts.values()}
    versions = {a.pk: a.version for a in accounts.values()}
    sequence, prev_hash = escrow.entry_count, escrow.head_hash
    span = (timezone.localdate() - OPENED_ON).days
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE escrow_journalline")  # so the balance trigger plans an index scan
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM escrow_journalentry")
        (next_id,) = cursor.fetchone()
    next_id += 1
    started = time.perf_counter()
    check_seconds = 0.0
    for chunk_start in range(0, n_entries, CHUNK_ENTRIES):
        chunk = range(chunk_start, min(n_entries, chunk_start + CHUNK_ENTRIES))
        entry_rows, line_rows = [], []
        for i in chunk:
            kind, memo, legs = _spec(i)
            date = OPENED_ON + dt.timedelta(days=span * i // n_entries)
            lines = [(codes[c], side, amount) for c, side, amount in legs]
            sequence += 1
            digest, fingerprint = _fast_digests(
                compound.pk, sequence, kind, memo, date.isoformat(), lines, prev_hash
            )
            if i % 997 == 0:
                assert digest == entry_hash(
                    compound_id=compound.pk,
                    sequence=sequence,
                    kind=kind,
                    memo=memo,
                    effective_date=date,
                    reverses_sequence=None,
                    lines=lines,
                    prev_hash=prev_hash,
                ), "the generator's canonical form drifted from escrow/hashing.py"
                assert fingerprint == content_fingerprint(
                    kind=kind, memo=memo, effective_date=date, lines=lines, reverses_id=None
                )
            entry_id = next_id
            next_id += 1
            entry_rows.append(
                (entry_id, compound.pk, sequence, kind, memo, date, now, fingerprint, prev_hash, digest)
            )
            for category, side, amount in legs:
                pk = accounts[category].pk
                balances[pk] += amount if side == Side.DEBIT else -amount
                versions[pk] += 1
                line_rows.append((compound.pk, entry_id, pk, side, amount, versions[pk], balances[pk]))
            prev_hash = digest
        with transaction.atomic(durable=True), connection.cursor() as cursor:
            if not triggers:
                cursor.execute("SET LOCAL session_replication_role = replica")
            with cursor.cursor.copy(
                "COPY escrow_journalentry (id, compound_id, sequence, kind, memo, effective_date, created_at,"
                " fingerprint, prev_hash, hash) FROM STDIN"
            ) as copy:
                for row in entry_rows:
                    copy.write_row(row)
            with cursor.cursor.copy(
                "COPY escrow_journalline (compound_id, entry_id, account_id, side, amount, account_version,"
                " balance_after) FROM STDIN"
            ) as copy:
                for row in line_rows:
                    copy.write_row(row)
            for account in accounts.values():
                LedgerAccount.objects.filter(pk=account.pk).update(
                    balance=balances[account.pk], version=versions[account.pk]
                )
            EscrowAccount.objects.filter(pk=escrow.pk).update(entry_count=sequence, head_hash=prev_hash)
            if triggers:
                check_started = time.perf_counter()
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what the commit checks, timed apart
                check_seconds += time.perf_counter() - check_started
        if n_entries > CHUNK_ENTRIES:
            report.progress(f"{label}: {sequence * 2:,} lines")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('escrow_journalentry', 'id'), (SELECT MAX(id) FROM escrow_journalentry))"
        )
        if not triggers:
            check_started = time.perf_counter()
            _check_rules_set_based(cursor, compound)
            check_seconds = time.perf_counter() - check_started
        cursor.execute("ANALYZE escrow_journalentry")
        cursor.execute("ANALYZE escrow_journalline")
    total = time.perf_counter() - started
    how = "per-row triggers at each commit" if triggers else "set-based, after a trigger-less load"
    report.add(
        f"built {label} lines",
        total,
        "s",
        f"{n_entries / total:,.0f} entries/s; rules {how}: {check_seconds:.1f} s",
    )


def _check_rules_set_based(cursor, compound) -> None:
    """migration 0002's rules, over a whole compound at once."""
    cursor.execute(
        """SELECT COUNT(*) FROM (
             SELECT e.id FROM escrow_journalentry e
               LEFT JOIN escrow_journalline l ON l.entry_id = e.id
              WHERE e.compound_id = %s
              GROUP BY e.id
             HAVING COUNT(l.id) < 2
                 OR COALESCE(SUM(l.amount) FILTER (WHERE l.side = 'D'), 0)
                    <> COALESCE(SUM(l.amount) FILTER (WHERE l.side = 'C'), 0)
                 OR MIN(l.amount) <= 0) bad""",
        [compound.pk],
    )
    assert cursor.fetchone()[0] == 0, "an unbalanced entry"
    cursor.execute(
        """SELECT COUNT(*) FROM escrow_journalline l
             JOIN escrow_journalentry e ON e.id = l.entry_id
             JOIN escrow_ledgeraccount a ON a.id = l.account_id
            WHERE l.compound_id = %s AND (e.compound_id <> l.compound_id OR a.compound_id <> l.compound_id)""",
        [compound.pk],
    )
    assert cursor.fetchone()[0] == 0, "a line crossing compounds"


# --------------------------------------------------------------------------- reads


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _p95_ms(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.95)] * 1000


def _interleaved(rounds: int, calls: dict) -> dict[str, list[float]]:
    """Time each call ``rounds`` times, taking turns, after a warm-up."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for fn in calls.values():
        for _ in range(5):
            fn()
    for _ in range(rounds):
        for name, fn in calls.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def _balance_reads(report, setup) -> None:
    small, big = setup["small"], setup["big"]
    big_lines = report.options.big_lines
    for label, fn in [("cash_balance", cash_balance), ("balances_by_category", balances_by_category)]:
        times = _interleaved(READ_ROUNDS, {"small": lambda fn=fn: fn(small), "big": lambda fn=fn: fn(big)})
        s, b = _median_ms(times["small"]), _median_ms(times["big"])
        report.add(f"{label} at 10k lines (median)", s, "ms", f"p95 {_p95_ms(times['small']):.3f} ms")
        report.target(
            f"{label} at {big_lines // 1000:,}k lines (median)",
            b,
            "ms",
            at_most=5,
            note=f"p95 {_p95_ms(times['big']):.3f} ms",
        )
        report.ratio(f"{label}: {big_lines // 1000:,}k ÷ 10k", b, s, target_max=1.5)


def _entries_api(report, setup) -> None:
    small, big = setup["small"], setup["big"]
    big_lines = report.options.big_lines
    client = Client()
    client.force_login(setup["member"])

    def get(compound, **params):
        def call():
            response = client.get(f"/api/v1/compounds/{compound.slug}/ledger/entries/", params)
            assert response.status_code == 200, response.content[:300]
            return response

        return call

    times = _interleaved(API_ROUNDS, {"small": get(small), "big": get(big)})
    s, b = _median_ms(times["small"]), _median_ms(times["big"])
    report.add("first page (50 entries) at 10k lines", s, "ms", "whole request: session, roles, query, JSON")
    report.add(f"first page (50 entries) at {big_lines // 1000:,}k lines", b, "ms")
    report.ratio(f"first page: {big_lines // 1000:,}k ÷ 10k", b, s, target_max=1.5)

    middle = EscrowAccount.objects.get(compound=big).entry_count // 2
    start = OPENED_ON + dt.timedelta(days=(timezone.localdate() - OPENED_ON).days // 2)
    variants = {
        "deep page (before= the middle)": get(big, before=middle),
        "kind=payout": get(big, kind="payout"),
        "account=5201 (repairs, 1 entry in 160)": get(big, account="5201"),
        "account=1001 (cash, every entry)": get(big, account="1001"),
        "one month, in the middle": get(
            big, date_from=start.isoformat(), date_to=(start + dt.timedelta(days=30)).isoformat()
        ),
    }
    times = _interleaved(API_ROUNDS // 2, variants)
    for name, samples in times.items():
        report.add(f"at {big_lines // 1000:,}k: {name}", _median_ms(samples), "ms")


# --------------------------------------------------------------------------- the resident's ledger page


def bare_ledger(request, slug):
    """The baseline: a Django view that reads 20 journal entries of the compound by one
    indexed query and renders them with a trivial template."""
    from django.http import HttpResponse
    from django.template import engines

    from communities.models import Compound

    compound_id = Compound.objects.filter(slug=slug).values_list("pk", flat=True).get()
    rows = list(
        JournalEntry.objects.filter(compound_id=compound_id)
        .order_by("-sequence")
        .values_list("sequence", "effective_date", "memo")[:20]
    )
    template = engines["django"].from_string(
        "<ul>{% for seq, date, memo in rows %}<li>#{{ seq }} {{ date }} {{ memo }}</li>{% endfor %}</ul>"
    )
    return HttpResponse(template.render({"rows": rows}, request))


def _urlpatterns():
    from django.urls import include, path

    return [path("bench/bare-ledger/<slug:slug>/", bare_ledger), path("", include("config.urls"))]


def __getattr__(name):
    # This module is also the URLconf of the page benchmark (settings.ROOT_URLCONF).
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


def _period(compound) -> tuple[str, str, int]:
    """A period in the middle of the journal holding about PERIOD_ENTRIES entries."""
    n = EscrowAccount.objects.get(compound=compound).entry_count
    span = (timezone.localdate() - OPENED_ON).days
    days = max(1, round(PERIOD_ENTRIES * span / n))
    start = OPENED_ON + dt.timedelta(days=span // 2)
    end = start + dt.timedelta(days=days - 1)
    count = JournalEntry.objects.filter(compound=compound, effective_date__range=(start, end)).count()
    return start.isoformat(), end.isoformat(), count


def _ledger_page(report, setup) -> None:
    from django.test import override_settings

    from escrow.ledger import selectors
    from escrow.ledger.selectors import EntryFilters
    from escrow.transparency import ledger_selectors

    mid, big = setup["mid"], setup["big"]
    big_lines = report.options.big_lines
    sizes = {f"{big_lines // 10_000:,}k": mid, f"{big_lines // 1000:,}k": big}
    client = Client()
    client.force_login(setup["member"], backend="django.contrib.auth.backends.ModelBackend")

    def get(url, params=None):
        def call():
            response = client.get(url, params or {})
            assert response.status_code == 200, response.content[:300]
            return response

        return call

    periods = {label: _period(compound) for label, compound in sizes.items()}
    with override_settings(ROOT_URLCONF=__name__):
        calls = {"bare": get(f"/bench/bare-ledger/{big.slug}/")}
        for label, compound in sizes.items():
            url = f"/c/{compound.slug}/ledger/"
            start, end, _count = periods[label]
            calls[f"{label}: page"] = get(url)
            calls[f"{label}: period"] = get(url, {"date_from": start, "date_to": end})
            calls[f"{label}: category"] = get(url, {"category": "repairs"})
        html = get(f"/c/{big.slug}/ledger/")().content.decode()
        assert html.count("data-sequence=") == 20, "a page of 20 rows"
        queries: list[str] = []
        with connection.execute_wrapper(lambda execute, sql, *a: queries.append(sql) or execute(sql, *a)):
            calls[f"{big_lines // 1000:,}k: page"]()
        times = _interleaved(PAGE_ROUNDS, calls)

    bare = _median_ms(times["bare"])
    report.add(
        "bare DB-backed view (20 entries, trivial template)",
        bare,
        "ms",
        f"p95 {_p95_ms(times['bare']):.1f} ms",
    )
    for label in sizes:
        start, end, count = periods[label]
        for variant, note in [
            ("page", "unfiltered: totals from the cached balances"),
            ("period", f"{start} … {end}: {count:,} entries summed for the totals"),
            ("category", "category=repairs: totals from the cached balance"),
        ]:
            name = f"{label}: {variant}"
            report.add(f"ledger page at {name}", _median_ms(times[name]), "ms", note)
    mid_label, big_label = list(sizes)
    for variant in ("page", "period", "category"):
        report.ratio(
            f"ledger page ({variant}) ÷ bare view, at {big_label} lines",
            _median_ms(times[f"{big_label}: {variant}"]),
            bare,
            target_max=2,
        )
    for variant in ("page", "period", "category"):
        report.ratio(
            f"ledger page ({variant}): {big_label} ÷ {mid_label} lines",
            _median_ms(times[f"{big_label}: {variant}"]),
            _median_ms(times[f"{mid_label}: {variant}"]),
            target_max=1.5,
            note="flat in the journal's size",
        )
    report.add(f"queries per ledger page at {big_label}", len(queries), "", "session, roles, reads, totals")

    # Where a page's time goes, without the request around it.
    start, end, _count = periods[big_label]
    repairs = selectors.ledger_account_by_reference(big, "repairs")
    period = EntryFilters(date_from=dt.date.fromisoformat(start), date_to=dt.date.fromisoformat(end))
    parts = _interleaved(
        PAGE_ROUNDS,
        {
            "totals, unfiltered": lambda: ledger_selectors.ledger_totals(big),
            "totals, period": lambda: ledger_selectors.ledger_totals(big, period),
            "totals, category": lambda: ledger_selectors.ledger_totals(big, EntryFilters(category=repairs)),
            "totals, category + period": lambda: ledger_selectors.ledger_totals(
                big, EntryFilters(category=repairs, date_from=period.date_from, date_to=period.date_to)
            ),
            "rows of a page": lambda: ledger_selectors.ledger_rows(
                selectors.ledger_entry_page(big, size=20).entries
            ),
        },
    )
    for name, samples in parts.items():
        report.add(f"at {big_label}: {name}", _median_ms(samples), "ms")

    # Exports of a period (members' CSV streams; XLSX is capped at 100k rows).
    params = {"date_from": start, "date_to": end}
    for fmt in ("csv", "xlsx"):
        with report.timer() as t:
            response = client.get(f"/c/{big.slug}/ledger/export.{fmt}", params)
            size = len(b"".join(response.streaming_content) if response.streaming else response.content)
        assert response.status_code == 200
        report.add(
            f"export.{fmt} of that period at {big_label}",
            t.seconds * 1000,
            "ms",
            f"{periods[big_label][2]:,} rows, {size / 1024:,.0f} KiB, {periods[big_label][2] / t.seconds:,.0f} rows/s",
        )
