"""Deductions from short payment to resolution: reason mapping, the
transition table, resolutions through the ledger, approvals, splits,
idempotent retries, and tenant isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deductions.models import (
    Deduction,
    DeductionResolution,
    DeductionStatus,
    MappingSource,
    ReasonCode,
    ReasonMapping,
    ResolutionStatus,
)
from deductions.services import (
    DEFAULT_REASONS,
    TRANSITIONS,
    ResolutionPart,
    deduction_assign,
    deduction_cancel,
    deduction_policy_update,
    deduction_raise_dispute,
    deduction_resolve,
    deduction_set_reason,
    deduction_transition,
    deduction_write_off_approve,
    net_for_gross,
    reason_code_by_code,
    reason_codes_ensure,
    reason_mapping_set,
)
from invoicing.models import Invoice, InvoiceKind, InvoiceStatus
from otc.errors import ConflictError, IllegalTransition, ValidationFailed
from otc.ledger.models import ItemKind, ItemStatus, OpenItem, PostingLine
from otc.ledger.selectors import customer_balance
from otc.tenancy.context import tenant_context
from tests.deductions.conftest import DAY, SYSTEM, D, short_paid_invoice
from tests.factories import CustomerFactory
from tests.invoicing.factories import issued_invoice, line

pytestmark = pytest.mark.django_db
S = DeductionStatus


def _item(pk: int) -> OpenItem:
    return OpenItem.objects.get(pk=pk)


def _to_valid(world, deduction: Deduction, verdict: str = S.VALID) -> None:
    t = world.tenant
    deduction_assign(
        tenant=t, actor=world.analyst, deduction_id=deduction.pk, owner_id=world.analyst.user.pk
    )
    deduction_transition(
        tenant=t, actor=world.analyst, deduction_id=deduction.pk, target=S.IN_RESEARCH
    )
    deduction_transition(
        tenant=t, actor=world.analyst, deduction_id=deduction.pk, target=S.WAITING_CUSTOMER
    )
    deduction_transition(tenant=t, actor=world.analyst, deduction_id=deduction.pk, target=verdict)


def _other_tenant_deduction(tenant_b) -> Deduction:
    with tenant_context(tenant_b):
        bravo = CustomerFactory(number="B-9", legal_name="Bravo Corp")
        _, _, deduction = short_paid_invoice(
            tenant_b, bravo, net="100.00", paid="100.00", claim_code=""
        )
        return deduction


def test_scenario_short_payment_to_credit_memo_and_write_off(world, tenant_b):
    t = world.tenant
    other = _other_tenant_deduction(tenant_b)
    with tenant_context(t):
        reason_codes_ensure(tenant=t)
        pricing = reason_code_by_code(tenant=t, code="PRICING")
        assert pricing is not None
        reason_mapping_set(
            tenant=t, actor=SYSTEM, source=MappingSource.CLAIM_CODE, pattern="pr", reason=pricing
        )
        invoice, _, deduction = short_paid_invoice(t, world.customer)
        assert invoice.gross_amount == D("1190.00")
        # The remittance's claim code was mapped; research is due on the SLA.
        assert deduction.reason == pricing
        assert deduction.research_due == DAY + timedelta(days=pricing.research_sla_days)
        assert (deduction.amount, deduction.status) == (D("190.00"), S.NEW)
        assert _item(invoice.open_item_id).open_amount == 0
        assert customer_balance(tenant=t, customer=world.customer).base == D("190.00")

        _to_valid(world, deduction)
        resolutions = deduction_resolve(
            tenant=t,
            actor=world.analyst,
            deduction_id=deduction.pk,
            parts=[
                ResolutionPart(kind="credit_memo", amount=D("150.00")),
                ResolutionPart(kind="write_off", amount=D("40.00"), note="goodwill"),
            ],
        )
        memo = resolutions[0].credit_memo
        assert memo is not None
        assert memo.kind == InvoiceKind.CREDIT_MEMO
        assert (memo.net_amount, memo.tax_amount, memo.gross_amount) == (
            D("126.05"),
            D("23.95"),
            D("150.00"),
        )
        assert memo.related_invoice_id == invoice.pk
        assert Invoice.objects.get(pk=memo.pk).status == InvoiceStatus.PAID  # used up
        assert [r.status for r in resolutions] == [ResolutionStatus.POSTED] * 2
        deduction.refresh_from_db()
        assert deduction.status == S.RESOLVED
        assert _item(deduction.open_item_id).status == ItemStatus.CLOSED
        assert customer_balance(tenant=t, customer=world.customer).base == D("0.00")
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID
        write_off_lines = PostingLine.objects.filter(account="write_off_expense")
        assert sum(line.amount for line in write_off_lines) == D("40.00")

        deduction_transition(
            tenant=t, actor=world.analyst, deduction_id=deduction.pk, target=S.CLOSED
        )
        assert Deduction.objects.get(pk=deduction.pk).status == S.CLOSED

        # A 300.00 write-off is above the analyst's 100.00: it waits for a manager.
        _, _, big = short_paid_invoice(t, world.customer, net="2000.00", paid="2080.00")
        assert big.amount == D("300.00")
        _to_valid(world, big)
        (pending,) = deduction_resolve(
            tenant=t,
            actor=world.analyst,
            deduction_id=big.pk,
            parts=[ResolutionPart(kind="write_off", amount=D("300.00"))],
        )
        assert pending.status == ResolutionStatus.PENDING_APPROVAL
        assert _item(big.open_item_id).open_amount == D("300.00")  # nothing posted
        with pytest.raises(ValidationFailed):  # the amount is held by the pending write-off
            deduction_resolve(
                tenant=t,
                actor=world.analyst,
                deduction_id=big.pk,
                parts=[ResolutionPart(kind="write_off", amount=D("10.00"))],
            )
        with pytest.raises(ValidationFailed):
            deduction_write_off_approve(tenant=t, actor=world.analyst, resolution_id=pending.pk)
        approved = deduction_write_off_approve(
            tenant=t, actor=world.manager, resolution_id=pending.pk
        )
        assert approved.status == ResolutionStatus.POSTED
        assert approved.approved_by == world.manager.user
        assert Deduction.objects.get(pk=big.pk).status == S.RESOLVED
        assert _item(big.open_item_id).open_amount == 0
    with tenant_context(tenant_b):
        untouched = Deduction.objects.get(pk=other.pk)
        assert (untouched.status, untouched.amount) == (S.NEW, D("19.00"))
        assert _item(untouched.open_item_id).open_amount == D("19.00")


def test_default_reasons_are_seeded_once_per_tenant(world, tenant_b):
    with tenant_context(world.tenant):
        reason_codes_ensure(tenant=world.tenant)
        reason_codes_ensure(tenant=world.tenant)
        codes = set(ReasonCode.objects.values_list("code", flat=True))
        assert codes == {reason.code for reason in DEFAULT_REASONS}
        assert len(codes) == 10
    with tenant_context(tenant_b):
        assert not ReasonCode.objects.exists()


def test_unmapped_claim_is_unidentified_and_an_analyst_decision_is_learned(world):
    t = world.tenant
    with tenant_context(t):
        _, _, first = short_paid_invoice(t, world.customer, claim_code="DMG7", text="DMG7 broken")
        assert first.reason.code == "UNIDENTIFIED"
        damage = reason_code_by_code(tenant=t, code="DAMAGE")
        deduction_set_reason(
            tenant=t, actor=world.analyst, deduction_id=first.pk, reason_id=damage.pk
        )
        mapping = ReasonMapping.objects.get(source=MappingSource.CLAIM_CODE, pattern="DMG7")
        assert (mapping.reason, mapping.learned) == (damage, True)
        _, _, second = short_paid_invoice(t, world.customer, claim_code="dmg7", text="")
        assert second.reason == damage


def test_remittance_phrase_maps_when_no_code_does(world):
    t = world.tenant
    with tenant_context(t):
        freight = reason_code_by_code(tenant=t, code="FREIGHT")
        reason_mapping_set(
            tenant=t,
            actor=SYSTEM,
            source=MappingSource.REMITTANCE_TEXT,
            pattern="freight charge",
            reason=freight,
        )
        _, _, deduction = short_paid_invoice(
            t, world.customer, claim_code="", text="minus Freight  Charge not agreed"
        )
        assert deduction.reason == freight


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([S.ASSIGNED], S.VALID),
        ([S.ASSIGNED, S.IN_RESEARCH], S.CLOSED),
        ([S.ASSIGNED, S.IN_RESEARCH, S.WAITING_INTERNAL], S.WAITING_CUSTOMER),
        ([S.ASSIGNED, S.IN_RESEARCH, S.VALID], S.CLOSED),
    ],
)
def test_transition_table_refuses_what_is_not_in_it(world, path, refused):
    t = world.tenant
    with tenant_context(t):
        _, _, deduction = short_paid_invoice(t, world.customer)
        for target in path:
            if target == S.ASSIGNED:
                deduction_assign(
                    tenant=t,
                    actor=world.analyst,
                    deduction_id=deduction.pk,
                    owner_id=world.analyst.user.pk,
                )
            else:
                deduction_transition(
                    tenant=t, actor=world.analyst, deduction_id=deduction.pk, target=target
                )
        assert refused not in TRANSITIONS[path[-1]]
        with pytest.raises(IllegalTransition):
            deduction_transition(
                tenant=t, actor=world.analyst, deduction_id=deduction.pk, target=refused
            )
        assert Deduction.objects.get(pk=deduction.pk).status == path[-1]


def test_reopen_needs_a_reason_and_is_audited(world):
    from otc.audit.models import AuditEvent

    t = world.tenant
    with tenant_context(t):
        _, _, deduction = short_paid_invoice(t, world.customer)
        _to_valid(world, deduction)
        deduction_resolve(
            tenant=t,
            actor=world.analyst,
            deduction_id=deduction.pk,
            parts=[ResolutionPart(kind="credit_memo", amount=D("190.00"))],
        )
        with pytest.raises(ValidationFailed):
            deduction_transition(
                tenant=t, actor=world.analyst, deduction_id=deduction.pk, target=S.IN_RESEARCH
            )
        deduction_transition(
            tenant=t,
            actor=world.analyst,
            deduction_id=deduction.pk,
            target=S.IN_RESEARCH,
            note="customer sent a second claim",
        )
        statuses = [
            e.changes["status"]["after"]
            for e in AuditEvent.objects.filter(
                object_id=str(deduction.pk), action="deduction.status_changed"
            ).order_by("pk")
        ]
        assert statuses == [S.IN_RESEARCH, S.WAITING_CUSTOMER, S.VALID, S.RESOLVED, S.IN_RESEARCH]


def test_resolving_more_than_open_or_a_bad_split_posts_nothing(world):
    t = world.tenant
    with tenant_context(t):
        _, _, deduction = short_paid_invoice(t, world.customer)
        _to_valid(world, deduction)
        before = PostingLine.objects.count()
        for parts in (
            [ResolutionPart(kind="write_off", amount=D("190.01"))],
            [
                ResolutionPart(kind="credit_memo", amount=D("100.00")),
                ResolutionPart(kind="write_off", amount=D("50.00")),
            ],
        ):
            with pytest.raises(ValidationFailed):
                deduction_resolve(
                    tenant=t, actor=world.manager, deduction_id=deduction.pk, parts=parts
                )
        assert PostingLine.objects.count() == before
        assert not DeductionResolution.objects.exists()
        assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_MEMO).exists()


def test_resolving_before_a_verdict_is_refused(world):
    t = world.tenant
    with tenant_context(t):
        _, _, deduction = short_paid_invoice(t, world.customer)
        with pytest.raises(ConflictError):
            deduction_resolve(
                tenant=t,
                actor=world.manager,
                deduction_id=deduction.pk,
                parts=[ResolutionPart(kind="write_off", amount=D("10.00"))],
            )


def test_invalid_deduction_rebilled_becomes_a_debit_memo_item_due_on_terms(world):
    t = world.tenant
    with tenant_context(t):
        invoice, _, deduction = short_paid_invoice(t, world.customer)
        _to_valid(world, deduction, S.INVALID)
        (rebill,) = deduction_resolve(
            tenant=t,
            actor=world.analyst,
            deduction_id=deduction.pk,
            parts=[ResolutionPart(kind="rebill", amount=D("190.00"))],
        )
        item = rebill.rebill_item
        assert item is not None
        assert (item.kind, item.amount, item.open_amount) == (
            ItemKind.DEBIT_MEMO,
            D("190.00"),
            D("190.00"),
        )
        inv_item = _item(invoice.open_item_id)
        assert item.due_date - item.document_date == inv_item.due_date - inv_item.document_date
        assert customer_balance(tenant=t, customer=world.customer).base == D("190.00")
        assert Deduction.objects.get(pk=deduction.pk).status == S.RESOLVED


def test_reinstate_puts_the_whole_amount_back_on_the_invoice(world):
    t = world.tenant
    with tenant_context(t):
        invoice, _, deduction = short_paid_invoice(t, world.customer)
        _to_valid(world, deduction, S.INVALID)
        deduction_resolve(
            tenant=t,
            actor=world.analyst,
            deduction_id=deduction.pk,
            parts=[ResolutionPart(kind="reinstate", amount=D("190.00"))],
        )
        assert _item(invoice.open_item_id).open_amount == D("190.00")
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PARTIALLY_PAID
        assert Deduction.objects.get(pk=deduction.pk).status == S.RESOLVED


def test_idempotent_retry_posts_once(world):
    t = world.tenant
    with tenant_context(t):
        _, _, deduction = short_paid_invoice(t, world.customer)
        _to_valid(world, deduction)
        parts = [ResolutionPart(kind="credit_memo", amount=D("100.00"))]
        first = deduction_resolve(
            tenant=t,
            actor=world.analyst,
            deduction_id=deduction.pk,
            parts=parts,
            idempotency_key="k1",
        )
        again = deduction_resolve(
            tenant=t,
            actor=world.analyst,
            deduction_id=deduction.pk,
            parts=parts,
            idempotency_key="k1",
        )
        assert [r.pk for r in again] == [r.pk for r in first]
        assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_MEMO).count() == 1
        assert _item(deduction.open_item_id).open_amount == D("90.00")
        with pytest.raises(ConflictError):
            deduction_resolve(
                tenant=t,
                actor=world.analyst,
                deduction_id=deduction.pk,
                parts=[ResolutionPart(kind="write_off", amount=D("5.00"))],
                idempotency_key="k1",
            )


def test_auto_write_off_rule_clears_small_deductions_of_chosen_reasons(world):
    t = world.tenant
    with tenant_context(t):
        reason_codes_ensure(tenant=t)
        shortage = reason_code_by_code(tenant=t, code="SHORTAGE")
        reason_mapping_set(
            tenant=t, actor=SYSTEM, source=MappingSource.CLAIM_CODE, pattern="QT", reason=shortage
        )
        deduction_policy_update(
            tenant=t,
            actor=world.manager,
            auto_write_off_limit=D("25.00"),
            reason_codes=["shortage"],
        )
        _, _, small = short_paid_invoice(
            t, world.customer, net="100.00", paid="100.00", claim_code="QT"
        )
        assert small.amount == D("19.00")
        small.refresh_from_db()
        assert small.status == S.RESOLVED
        (auto,) = DeductionResolution.objects.filter(deduction=small)
        assert (auto.auto, auto.kind, auto.amount) == (True, "write_off", D("19.00"))
        _, _, large = short_paid_invoice(
            t, world.customer, net="1000.00", paid="1000.00", claim_code="QT"
        )
        assert Deduction.objects.get(pk=large.pk).status == S.NEW
        _, _, other_reason = short_paid_invoice(
            t, world.customer, net="100.00", paid="100.00", claim_code=""
        )
        assert Deduction.objects.get(pk=other_reason.pk).status == S.NEW


def test_dispute_of_an_invoice_line_moves_its_gross_to_a_deduction(world):
    t = world.tenant
    with tenant_context(t):
        invoice = issued_invoice(t, world.customer, [line("100.00"), line("50.00", rate="7")])
        second = invoice.lines.order_by("position")[1]
        deduction = deduction_raise_dispute(
            tenant=t, actor=world.analyst, invoice_id=invoice.pk, invoice_line_id=second.pk
        )
        assert deduction.amount == D("53.50")
        assert deduction.source == "dispute"
        assert _item(invoice.open_item_id).open_amount == invoice.gross_amount - D("53.50")
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PARTIALLY_PAID
        _to_valid(world, deduction)
        (res,) = deduction_resolve(
            tenant=t,
            actor=world.analyst,
            deduction_id=deduction.pk,
            parts=[ResolutionPart(kind="credit_memo", amount=D("53.50"))],
        )
        assert (res.credit_memo.net_amount, res.credit_memo.tax_amount) == (D("50.00"), D("3.50"))
        # The memo went to the deduction, not to the still-open invoice.
        assert _item(invoice.open_item_id).open_amount == invoice.gross_amount - D("53.50")
        with pytest.raises(ValidationFailed):
            deduction_raise_dispute(
                tenant=t,
                actor=world.analyst,
                invoice_id=invoice.pk,
                invoice_line_id=second.pk,
                amount=D("60.00"),
            )


def test_cancel_undoes_an_unresolved_deduction(world):
    t = world.tenant
    with tenant_context(t):
        invoice, _, deduction = short_paid_invoice(t, world.customer)
        deduction_cancel(tenant=t, actor=SYSTEM, deduction_id=deduction.pk, reason="undo")
        assert _item(invoice.open_item_id).open_amount == D("190.00")
        with pytest.raises(IllegalTransition):
            deduction_cancel(tenant=t, actor=SYSTEM, deduction_id=deduction.pk, reason="again")


def test_write_off_without_membership_waits(world):
    t = world.tenant
    with tenant_context(t):
        _, _, deduction = short_paid_invoice(t, world.customer)
        _to_valid(world, deduction)
        (row,) = deduction_resolve(
            tenant=t,
            actor=SYSTEM,
            deduction_id=deduction.pk,
            parts=[ResolutionPart(kind="write_off", amount=D("1.00"))],
        )
        assert row.status == ResolutionStatus.PENDING_APPROVAL


@pytest.mark.parametrize(
    ("gross", "rate", "net"),
    [
        ("150.00", "19", "126.05"),
        ("119.00", "19", "100.00"),
        ("53.50", "7", "50.00"),
        ("10.00", "0", "10.00"),
    ],
)
def test_net_for_gross_adds_up_exactly(gross, rate, net):
    assert net_for_gross(gross=D(gross), rate=D(rate), currency="EUR") == D(net)


def test_unreachable_gross_says_which_amounts_work():
    with pytest.raises(ValidationFailed) as error:
        net_for_gross(gross=D("1.03"), rate=D("19"), currency="EUR")
    assert "1.02" in error.value.detail
    assert "1.04" in error.value.detail


def test_other_tenants_deduction_is_not_found(world, tenant_b):
    other = _other_tenant_deduction(tenant_b)
    t = world.tenant
    with tenant_context(t):
        from otc.errors import NotFound

        with pytest.raises(NotFound):
            deduction_transition(
                tenant=t, actor=world.analyst, deduction_id=other.pk, target=S.IN_RESEARCH
            )
        with pytest.raises(NotFound):
            deduction_resolve(
                tenant=t,
                actor=world.manager,
                deduction_id=other.pk,
                parts=[ResolutionPart(kind="write_off", amount=D("1.00"))],
            )
    with tenant_context(tenant_b):
        assert Deduction.objects.get(pk=other.pk).status == S.NEW
