"""Attachments (size and content checks, stored through Django storage) and
the deductions figures (open by reason/age/owner, DDO, cycle times, valid vs
invalid, recovery, write-offs by approver)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from deductions.models import DeductionAttachment
from deductions.selectors import QueueFilters, deduction_figures, deduction_queue
from deductions.services import (
    MAX_ATTACHMENT_BYTES,
    ResolutionPart,
    deduction_attachment_add,
    deduction_resolve,
)
from otc.errors import ValidationFailed
from otc.tenancy.context import tenant_context
from tests.deductions.conftest import DAY, D, short_paid_invoice
from tests.deductions.test_deductions import _other_tenant_deduction, _to_valid

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"


def test_a_pdf_is_stored_and_listed(world):
    t = world.tenant
    with tenant_context(t):
        _, _, deduction = short_paid_invoice(t, world.customer)
        upload = SimpleUploadedFile("../../proof of delivery.pdf", PDF, "application/pdf")
        attachment = deduction_attachment_add(
            tenant=t, actor=world.analyst, deduction_id=deduction.pk, upload=upload
        )
        assert attachment.filename == "proof_of_delivery.pdf"
        assert attachment.size == len(PDF)
        assert default_storage.exists(attachment.file.name)
        assert f"deductions/{t.pk}/{deduction.pk}/" in attachment.file.name
        with default_storage.open(attachment.file.name) as stored:
            assert stored.read() == PDF


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        ("claim.exe", b"MZ\x90\x00", "application/x-msdownload", "not accepted"),
        ("fake.pdf", b"MZ\x90\x00 not a pdf", "application/pdf", "is not application/pdf"),
        ("empty.txt", b"", "text/plain", "empty"),
        ("big.pdf", b"%PDF-" + b"0" * MAX_ATTACHMENT_BYTES, "application/pdf", "10 MB"),
    ],
)
def test_bad_uploads_are_refused(world, name, content, content_type, message):
    t = world.tenant
    with tenant_context(t):
        _, _, deduction = short_paid_invoice(t, world.customer)
        with pytest.raises(ValidationFailed) as error:
            deduction_attachment_add(
                tenant=t,
                actor=world.analyst,
                deduction_id=deduction.pk,
                upload=SimpleUploadedFile(name, content, content_type),
            )
        assert message in str(error.value.errors["file"])
        assert not DeductionAttachment.objects.exists()


def test_figures_and_queue(world, tenant_b):
    t = world.tenant
    other = _other_tenant_deduction(tenant_b)
    with tenant_context(t):
        _, _, first = short_paid_invoice(t, world.customer)  # 190.00
        _, _, second = short_paid_invoice(t, world.customer, net="100.00", paid="100.00")  # 19.00
        _, _, third = short_paid_invoice(t, world.customer, net="200.00", paid="200.00")  # 38.00
        _to_valid(world, first)
        deduction_resolve(
            tenant=t,
            actor=world.analyst,
            deduction_id=first.pk,
            parts=[
                ResolutionPart(kind="credit_memo", amount=D("150.00")),
                ResolutionPart(kind="write_off", amount=D("40.00")),
            ],
        )
        _to_valid(world, second, "invalid")
        deduction_resolve(
            tenant=t,
            actor=world.analyst,
            deduction_id=second.pk,
            parts=[ResolutionPart(kind="rebill", amount=D("19.00"))],
        )
        today = DAY + timedelta(days=40)
        figures = deduction_figures(tenant=t, today=today)
        assert (figures.open_count, figures.open_base) == (1, D("38.00"))
        assert figures.sla_breached == 1  # UNIDENTIFIED: 7 days' research
        assert [(b.label, b.count) for b in figures.by_age] == [
            ("0-30 days", 0),
            ("31-60 days", 1),
            ("61-90 days", 0),
            ("over 90 days", 0),
        ]
        assert (figures.valid_base, figures.invalid_base, figures.written_off_base) == (
            D("150.00"),
            D("19.00"),
            D("40.00"),
        )
        assert figures.valid_share == D("88.8")
        assert figures.recovery_rate == D("0.0")
        assert [(b.label, b.base_amount) for b in figures.write_offs_by_approver] == [
            ("analyst@alpha.example", D("40.00"))
        ]
        assert [c.reason for c in figures.cycle_times] == ["UNIDENTIFIED"]
        assert figures.cycle_times[0].resolved == 2
        # Billing of the last 90 days: 1,190 + 119 + 238 invoices + 19 re-bill.
        assert figures.days_deductions_outstanding == (D("38.00") / (D("1566.00") / 90)).quantize(
            D("0.1")
        )
        queue = deduction_queue(tenant=t, filters=QueueFilters(sla_breached=True), today=today)
        assert [row.pk for row in queue] == [third.pk]
        assert queue[0].sla_breached is True
        assert not deduction_queue(tenant=t, filters=QueueFilters(), today=today).filter(
            pk=other.pk
        )
