"""Cash application: quality against the truth, and speed at scale.

Builds a fresh tenant with synthetic open invoices (``bench.cash_statements``),
posts them to the ledger, generates bank statements and remittance advices
paying them with the generator's default mix, imports everything as ONE
statement file would be and runs the matching engine once over all of it,
then compares what the engine applied automatically with the truth.

Prints: import and match timings, auto-applied rate (payments, by count and
by amount; invoices), precision of automatic applications (the share that
applied exactly the truth's invoices and amounts), and what went to the
queue by kind, so a tuning run shows where the misses are.

Budgets (issue 5): >= 95 % of payments auto-applied with >= 99.5 % correct;
a 10,000-line statement against 100,000 open invoices (20,000 customers)
imported and matched in < 60 s.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/otc_bench \\
        .venv/bin/python -m bench.cash_eval --invoices 120000 --transactions 10000

``--warm`` first lets a simulated clerk work a previous statement (payers'
accounts learned as a person's matches would teach them), then measures the
next one: the state of a tenant after its first weeks.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from bench.common import setup_django


def _load(tenant: Any, invoices: list[Any]) -> dict[str, Any]:
    from bench.cash_statements import RATES_PER_EUR
    from otc.audit.services import Actor
    from otc.customers.models import Customer, PaymentTerms
    from otc.ledger.models import ItemKind
    from otc.ledger.services import NewItem, ledger_items_post_many

    actor = Actor.system("bench")
    terms = PaymentTerms.objects.for_tenant(tenant).create(
        tenant=tenant,
        code="2/10N30",
        name="2 % 10 days, net 30",
        net_days=30,
        discount_percent=Decimal(2),
        discount_days=10,
    )
    names: dict[str, str] = {}
    for invoice in invoices:
        names.setdefault(invoice.customer_number, invoice.customer_name)
    customers = Customer.objects.for_tenant(tenant).bulk_create(
        [
            Customer(
                tenant=tenant,
                number=number,
                legal_name=name[:200],
                country="DE",
                currency="EUR",
                payment_terms=terms,
            )
            for number, name in names.items()
        ],
        batch_size=5000,
    )
    by_number = {customer.number: customer for customer in customers}
    entries = [
        NewItem(
            customer=by_number[invoice.customer_number],
            kind=ItemKind.INVOICE,
            number=invoice.number,
            currency=invoice.currency,
            amount=invoice.open_amount,
            document_date=invoice.document_date,
            due_date=invoice.due_date,
            rate=(RATES_PER_EUR["EUR"] / RATES_PER_EUR[invoice.currency]).quantize(
                Decimal("0.0000000001")
            ),
        )
        for invoice in invoices
    ]
    for start in range(0, len(entries), 2000):
        ledger_items_post_many(tenant=tenant, actor=actor, entries=entries[start : start + 2000])
    return by_number


def _rates(tenant: Any, on: date) -> None:
    from bench.cash_statements import RATES_PER_EUR
    from otc.audit.services import Actor
    from otc.fx.services import manual_rate_set

    for currency in ("USD", "GBP", "CHF"):
        manual_rate_set(
            tenant=tenant,
            actor=Actor.system("bench"),
            rate_date=on,
            from_currency=currency,
            to_currency="EUR",
            rate=(Decimal(1) / RATES_PER_EUR[currency]).quantize(Decimal("0.0000000001")),
        )


def _one_statement(generated: Any, statement_id: str) -> Any:
    """All the generated days as one statement: the budget's 10,000 lines."""
    transactions = tuple(tx for statement in generated.statements for tx in statement.transactions)
    first = generated.statements[0]
    return replace(
        first,
        statement_id=statement_id,
        to_date=generated.statements[-1].to_date,
        closing_balance=generated.statements[-1].closing_balance,
        transactions=transactions,
    )


@contextmanager
def _stopwatch(timings: dict[str, float], patches: dict[str, tuple[Any, str]]) -> Iterator[None]:
    """Time every call of the named functions (label -> (module, name)) into
    `timings`, so the end-to-end figure splits into its steps."""
    originals = {label: getattr(module, name) for label, (module, name) in patches.items()}

    def wrapped(label: str, function: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timings[label] = timings.get(label, 0.0) + time.perf_counter() - started

        return call

    for label, (module, name) in patches.items():
        setattr(module, name, wrapped(label, originals[label]))
    try:
        yield
    finally:
        for label, (module, name) in patches.items():
            setattr(module, name, originals[label])


def _run(tenant: Any, generated: Any, statement_id: str) -> tuple[dict[str, float], list[int]]:
    """Import and match one statement; timings by step: parse (the statement
    as CAMT.053 and the advices as EDI 820, parsed back), remittances, import
    (of which returns), index, match+apply (of which the engine, applying and
    the deductions)."""
    from collections_app.bank_files import parse_bank_file, parse_remittance
    from collections_app.bank_files.writers import write_camt053, write_edi820
    from collections_app.models import Payment
    from collections_app.services import (
        applying_batch,
        imports,
        matching,
        remittance_import,
        statements_import,
    )
    from collections_app.services.matching import index_load, payments_match
    from otc.audit.services import Actor

    actor = Actor.system("bench")
    timings: dict[str, float] = {}
    statement = _one_statement(generated, statement_id)
    camt, edi = write_camt053([statement]), write_edi820(generated.remittances)
    started = time.perf_counter()
    parsed = parse_bank_file(camt)
    parse_remittance(edi)
    timings["parse"] = time.perf_counter() - started
    assert sum(len(s.transactions) for s in parsed) == len(statement.transactions)
    steps = {
        "returns": (imports, "_returns_link"),
        "engine": (matching, "match_payment"),
        "apply": (matching, "proposals_apply_auto"),
        "deductions": (applying_batch, "_post_deductions"),
    }
    with _stopwatch(timings, steps):
        started = time.perf_counter()
        remittance_import(tenant=tenant, actor=actor, remittances=generated.remittances)
        timings["remittances"] = time.perf_counter() - started
        started = time.perf_counter()
        result = statements_import(
            tenant=tenant,
            actor=actor,
            statements=[statement],
            file_sha256=statement_id.ljust(64, "0")[:64],
            match=False,
        )
        timings["import"] = time.perf_counter() - started
        payment_ids = list(
            Payment.objects.for_tenant(tenant)
            .filter(statement_lines__statement=result.statements[0])
            .values_list("pk", flat=True)
        )
        started = time.perf_counter()
        on = max(statement.to_date for statement in generated.statements)
        index = index_load(tenant=tenant, on=on)
        timings["index"] = time.perf_counter() - started
        started = time.perf_counter()
        payments_match(tenant=tenant, payment_ids=payment_ids, index=index)
        timings["match_and_apply"] = time.perf_counter() - started
    return timings, payment_ids


def _applied(tenant: Any, payment_ids: list[int]) -> dict[str, dict[str, Any]]:
    """bank reference -> what the engine did automatically."""
    from collections_app.models import AllocationKind, CashAllocation, MatchProposal, Payment

    auto = dict(
        MatchProposal.objects.for_tenant(tenant)
        .filter(payment_id__in=payment_ids, auto_applied=True)
        .values_list("payment_id", "customer__number")
    )
    cash: dict[int, dict[str, Decimal]] = {}
    for payment_id, number, amount in (
        CashAllocation.objects.for_tenant(tenant)
        .filter(payment_id__in=payment_ids, kind=AllocationKind.CASH, proposal__auto_applied=True)
        .values_list("payment_id", "invoice_item__number", "amount")
    ):
        cash.setdefault(payment_id, {})[number] = cash.get(payment_id, {}).get(
            number, Decimal(0)
        ) + amount.quantize(Decimal("0.01"))
    summaries = dict(
        Payment.objects.for_tenant(tenant)
        .filter(pk__in=payment_ids)
        .values_list("pk", "match_summary")
    )
    out = {}
    for pk, reference, status, amount in (
        Payment.objects.for_tenant(tenant)
        .filter(pk__in=payment_ids)
        .values_list("pk", "bank_reference", "status", "amount")
    ):
        out[reference] = {
            "summary": summaries.get(pk, ""),
            "auto": pk in auto,
            "customer": auto.get(pk),
            "cash": cash.get(pk, {}),
            "status": status,
            "amount": amount,
        }
    return out


def _score(truth: list[dict[str, Any]], applied: dict[str, dict[str, Any]]) -> dict[str, Any]:
    payments = auto = correct = 0
    amount_total = amount_auto = Decimal(0)
    invoices_total = invoices_auto = 0
    queued: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    examples: list[str] = []
    for row in truth:
        if row["direction"] != "credit" or row.get("returned"):
            continue  # debits are not payments; a returned payment is not applied
        seen = applied.get(row["bank_reference"])
        if seen is None:
            continue
        payments += 1
        amount_total += Decimal(row["amount"])
        expected = {i["number"]: Decimal(i["amount"]) for i in row["invoices"]}
        invoices_total += len(expected)
        if not seen["auto"]:
            queued[row["kind"]] += 1
            if queued[row["kind"]] <= 2 and row["kind"] != "unidentifiable":
                examples.append(f"queued {row['kind']}: {seen['summary'][:220]}")
            continue
        auto += 1
        amount_auto += Decimal(row["amount"])
        invoices_auto += len(seen["cash"])
        if row["customer_number"] is not None and seen["cash"] == expected:
            correct += 1
        else:
            wrong[row["kind"]] += 1
            if len(examples) < 30:
                examples.append(
                    f"{row['kind']}: expected {expected} got {seen['cash']} "
                    f"({row['bank_reference']})"
                )
    return {
        "payments": payments,
        "auto": auto,
        "correct": correct,
        "rate": auto / payments if payments else 0,
        "rate_amount": float(amount_auto / amount_total) if amount_total else 0,
        "rate_invoices": invoices_auto / invoices_total if invoices_total else 0,
        "precision": correct / auto if auto else 0,
        "queued": queued,
        "wrong": wrong,
        "examples": examples,
    }


def _clerk(
    tenant: Any, truth: list[dict[str, Any]], applied: dict[str, Any], customers: Any
) -> int:
    """A person works the queue of the warm-up statement: the payer's
    account is learned for the customer the truth names."""
    from collections_app.models import PayerAccount, Payment

    taught = 0
    known = set(PayerAccount.objects.for_tenant(tenant).values_list("account", flat=True))
    for row in truth:
        customer = customers.get(row.get("payer_customer_number") or row.get("customer_number"))
        seen = applied.get(row["bank_reference"])
        if customer is None or seen is None:
            continue
        payment = (
            Payment.objects.for_tenant(tenant).filter(bank_reference=row["bank_reference"]).first()
        )
        account = (payment.payer_account if payment else "").replace(" ", "").upper()
        if account and account not in known:
            PayerAccount.objects.for_tenant(tenant).create(
                tenant=tenant, account=account, customer=customer, created_by_label="bench clerk"
            )
            known.add(account)
            taught += 1
    return taught


def _tenant(args: argparse.Namespace) -> tuple[Any, list[Any], dict[str, Any]]:
    """The bench tenant with its open invoices: reused when ``--slug`` names
    one, else created and posted."""
    from django.db import connection

    from bench.cash_statements import synthetic_invoices
    from otc.customers.models import Customer
    from otc.tenancy.context import tenant_context
    from otc.tenancy.models import Tenant

    slug = args.slug or f"bench-cash-{args.invoices}-{args.seed}-{int(time.time())}"
    tenant = Tenant.objects.filter(slug=slug).first()
    started = time.perf_counter()
    invoices = synthetic_invoices(args.invoices, seed=args.seed)
    if tenant is not None:
        with tenant_context(tenant):
            customers = {c.number: c for c in Customer.objects.for_tenant(tenant)}
        print(f"reusing tenant {slug}: {len(customers):,} customers")
    else:
        tenant = Tenant.objects.create(name="Bench cash", slug=slug, base_currency="EUR")
        with tenant_context(tenant):
            customers = _load(tenant, invoices)
        print(
            f"set-up: {len(invoices):,} open invoices of {len(customers):,} customers posted in "
            f"{time.perf_counter() - started:.1f} s"
        )
    # As autovacuum would have by now (it is off on some dev servers): without
    # statistics the ledger's aging triggers pick a wrong index and one UPDATE
    # of a thousand open items takes seconds instead of a tenth of one.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return tenant, invoices, customers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=120_000)
    parser.add_argument("--transactions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--warm", action="store_true")
    parser.add_argument(
        "--slug",
        help="reuse the tenant with this slug when it exists (else create it): set up once "
        "with --setup-only, copy the database (CREATE DATABASE ... TEMPLATE) and measure on "
        "each copy",
    )
    parser.add_argument("--setup-only", action="store_true", help="post the invoices, stop")
    args = parser.parse_args()
    setup_django()

    from bench.cash_statements import generate
    from otc.tenancy.context import tenant_context

    tenant, invoices, customers = _tenant(args)
    if args.setup_only:
        return
    with tenant_context(tenant):
        if args.warm:
            # A warm-up statement paying other invoices; the clerk works it.
            half = len(invoices) // 2
            warm = generate(invoices[half:], seed=args.seed + 1, transactions=args.transactions)
            _rates(tenant, max(s.to_date for s in warm.statements))
            _, warm_ids = _run(tenant, warm, "WARM")
            taught = _clerk(tenant, warm.truth, _applied(tenant, warm_ids), customers)
            print(f"warm-up: {len(warm_ids):,} payments, {taught:,} payer accounts learned")
            invoices = invoices[:half]
        generated = generate(invoices, seed=args.seed, transactions=args.transactions)
        _rates(tenant, max(s.to_date for s in generated.statements))
        lines = sum(len(s.transactions) for s in generated.statements)
        timings, payment_ids = _run(tenant, generated, "EVAL")
        total = sum(
            timings[step] for step in ("parse", "remittances", "import", "index", "match_and_apply")
        )
        print(
            f"statement: {lines:,} lines, {len(payment_ids):,} payments, "
            f"{len(generated.remittances):,} remittance advices"
        )
        print(
            "timings: parse {parse:.1f} s, remittances {remittances:.1f} s, import {import:.1f} s "
            "(returns {returns:.1f} s), index {index:.1f} s, match+apply {match_and_apply:.1f} s "
            "(engine {engine:.1f} s, applying {apply:.1f} s of which deductions "
            "{deductions:.1f} s)".format(**{"returns": 0.0, "deductions": 0.0, **timings})
            + f"; end to end {total:.1f} s (budget 60 s)"
        )
        score = _score(generated.truth, _applied(tenant, payment_ids))
    print(
        f"auto-applied: {score['auto']:,} of {score['payments']:,} payments = {score['rate']:.1%} "
        f"(by amount {score['rate_amount']:.1%}; invoices {score['rate_invoices']:.1%}) "
        "(budget 95 %)"
    )
    print(
        f"precision: {score['correct']:,} of {score['auto']:,} automatic applications correct "
        f"= {score['precision']:.2%} (budget 99.5 %)"
    )
    print("queued by kind:", dict(score["queued"].most_common()))
    print("wrong by kind:", dict(score["wrong"].most_common()))
    for example in score["examples"]:
        print("  ", example)


if __name__ == "__main__":
    main()
