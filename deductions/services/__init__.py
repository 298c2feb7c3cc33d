"""Writes of the deductions app, for this app and every other one. Import
from here, not from the topic modules.

Signatures other apps call:
- ``deduction_open_for_short_payment(*, tenant, actor, customer,
  invoice_item_id, payment_item_id, amount, currency, reason_code="",
  reason_text="", effective_date=None) -> Deduction`` (cash application)
  and ``deductions_open_for_short_payments(*, tenant, actor, entries:
  list[ShortPayment]) -> list[Deduction]`` for a statement's at once;
- ``deduction_cancel(*, tenant, actor, deduction_id, reason) -> Deduction``
  when the cash application that opened it is undone;
- ``deduction_raise_dispute(*, tenant, actor, invoice_id, amount=None,
  invoice_line_id=None, reason_id=None, ...) -> Deduction``.
"""

from deductions.services.attachments import (
    MAX_ATTACHMENT_BYTES,
    check_upload,
    deduction_attachment_add,
    deduction_attachment_get,
)
from deductions.services.reasons import (
    DEFAULT_REASONS,
    UNIDENTIFIED,
    reason_code_by_code,
    reason_code_create,
    reason_code_get,
    reason_code_update,
    reason_codes_ensure,
    reason_for_remittance,
    reason_mapping_delete,
    reason_mapping_set,
    reasons_for_remittances,
)
from deductions.services.refunds import (
    can_transition_refund,
    clean_account,
    refund_approve,
    refund_reject,
    refund_request,
)
from deductions.services.resolutions import (
    ResolutionPart,
    auto_write_off_if_covered,
    auto_write_off_reasons,
    deduction_policy_get,
    deduction_policy_update,
    deduction_resolve,
    deduction_write_off_approve,
    deduction_write_off_reject,
    net_for_gross,
)
from deductions.services.returns import (
    ReceiptLineInput,
    ReturnLineInput,
    can_transition_return,
    return_authorise,
    return_cancel,
    return_close,
    return_credit,
    return_receive,
    return_request,
    returned_quantities,
)
from deductions.services.sepa import refund_export_get, refunds_export
from deductions.services.transitions import MANUAL_TARGETS, TRANSITIONS, can_transition
from deductions.services.workflow import (
    ShortPayment,
    deduction_assign,
    deduction_cancel,
    deduction_open_for_short_payment,
    deduction_raise_dispute,
    deduction_set_reason,
    deduction_transition,
    deductions_open_for_short_payments,
    lock_deduction,
)

__all__ = [
    "DEFAULT_REASONS",
    "MANUAL_TARGETS",
    "MAX_ATTACHMENT_BYTES",
    "TRANSITIONS",
    "UNIDENTIFIED",
    "ReceiptLineInput",
    "ResolutionPart",
    "ReturnLineInput",
    "ShortPayment",
    "auto_write_off_if_covered",
    "auto_write_off_reasons",
    "can_transition",
    "can_transition_refund",
    "can_transition_return",
    "check_upload",
    "clean_account",
    "deduction_assign",
    "deduction_attachment_add",
    "deduction_attachment_get",
    "deduction_cancel",
    "deduction_open_for_short_payment",
    "deduction_policy_get",
    "deduction_policy_update",
    "deduction_raise_dispute",
    "deduction_resolve",
    "deduction_set_reason",
    "deduction_transition",
    "deduction_write_off_approve",
    "deduction_write_off_reject",
    "deductions_open_for_short_payments",
    "lock_deduction",
    "net_for_gross",
    "reason_code_by_code",
    "reason_code_create",
    "reason_code_get",
    "reason_code_update",
    "reason_codes_ensure",
    "reason_for_remittance",
    "reason_mapping_delete",
    "reason_mapping_set",
    "reasons_for_remittances",
    "refund_approve",
    "refund_export_get",
    "refund_reject",
    "refund_request",
    "refunds_export",
    "return_authorise",
    "return_cancel",
    "return_close",
    "return_credit",
    "return_receive",
    "return_request",
    "returned_quantities",
]
