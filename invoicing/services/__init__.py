"""Writes of invoicing, for this app and every other one. Import from here,
not from the topic modules.

Signatures other apps call:
- ``invoice_issue(*, tenant, actor, invoice, issue_date=None) -> Invoice``
- ``invoice_issue_many(*, tenant, actor, invoices, issue_date=None)`` for
  billing runs (invoices and debit memos; all or nothing);
- ``invoice_refresh_payment_status(*, tenant, invoice, actor=None) -> Invoice``
  after cash is applied to (or taken off) an invoice in the ledger;
- ``invoices_refresh_for_items(*, tenant, open_item_ids, actor=None)`` the
  same for every document behind the ledger items a cash application or
  deduction touched (use this one from other apps: it needs no document);
- ``invoice_draft_from_order(*, tenant, actor, order_id, quantities=None)``
  a draft billing a released order (all that is left, or the quantities
  given per order line); issuing it takes its amount off the order;
- ``credit_memo_create(*, tenant, actor, lines, related_invoice=None,
  customer=None, issue=True, ...) -> Invoice``;
- ``invoice_send(*, tenant, actor, invoice, recipients=None) -> InvoiceDelivery``
  e-mails the PDF to the customer's AP contacts (or the addresses given);
- ``invoice_documents_generate(*, tenant, invoice)`` renders and stores the
  PDF and UBL of an issued document (idempotent; issuing enqueues it).
"""

from invoicing.services.bulk import BulkItem, BulkOutcome, invoice_bulk_create
from invoicing.services.delivery import (
    SENDABLE_STATUSES,
    NoApContact,
    ap_contact_choices,
    ap_recipients,
    check_sendable,
    delivery_attempt,
    invoice_send,
)
from invoicing.services.document_files import (
    DocumentIncomplete,
    DocumentUnavailable,
    StoredDocuments,
    document_filename,
    document_problems,
    facturx_xml_of,
    invoice_documents_enqueue,
    invoice_documents_generate,
    invoice_preview_pdf,
)
from invoicing.services.drafts import InvoiceFields, invoice_create_draft, invoice_update_draft
from invoicing.services.from_orders import (
    OrderLineToInvoice,
    invoice_draft_from_order,
    order_lines_to_invoice,
)
from invoicing.services.issuing import (
    invoice_issue,
    invoice_issue_many,
    invoice_refresh_payment_status,
    invoices_refresh_for_items,
)
from invoicing.services.lines import MAX_LINES, LineInput
from invoicing.services.memos import credit_memo_create, debit_memo_create, invoice_cancel
from invoicing.services.transitions import TRANSITIONS, can_transition

__all__ = [
    "MAX_LINES",
    "SENDABLE_STATUSES",
    "TRANSITIONS",
    "BulkItem",
    "BulkOutcome",
    "DocumentIncomplete",
    "DocumentUnavailable",
    "InvoiceFields",
    "LineInput",
    "NoApContact",
    "OrderLineToInvoice",
    "StoredDocuments",
    "ap_contact_choices",
    "ap_recipients",
    "can_transition",
    "check_sendable",
    "credit_memo_create",
    "debit_memo_create",
    "delivery_attempt",
    "document_filename",
    "document_problems",
    "facturx_xml_of",
    "invoice_bulk_create",
    "invoice_cancel",
    "invoice_create_draft",
    "invoice_documents_enqueue",
    "invoice_documents_generate",
    "invoice_draft_from_order",
    "invoice_issue",
    "invoice_issue_many",
    "invoice_preview_pdf",
    "invoice_refresh_payment_status",
    "invoice_send",
    "invoice_update_draft",
    "invoices_refresh_for_items",
    "order_lines_to_invoice",
]
