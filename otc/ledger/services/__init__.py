"""Writing to the AR ledger. Every change here is one transaction that:
locks the items it touches (in id order, so two writers never deadlock),
checks the amounts against the locked rows, writes an append-only posting
that balances in the base currency, updates the open amounts with F()
expressions and writes the audit event.

Import from here, not from the topic modules:

- ``posting``: new open items, one (``ledger_item_post``) or many in one
  transaction (``NewItem``, ``ledger_items_post_many``);
- ``applications``: settling a debit item with a credit item
  (``ledger_apply``, ``ApplyEntry``, ``ledger_apply_many``), undoing an
  application (``ledger_application_reverse``), and the writes that post an
  item only to apply it at once (``ledger_write_off``, ``ledger_refund``,
  ``REFUNDABLE_KINDS``);
- ``reversals``: cancelling an item nothing was applied to
  (``ledger_item_reverse``);
- ``deductions``: moving open amounts onto a DEDUCTION item and back
  (``DeductionTransfer``, ``ledger_transfer_to_deduction``,
  ``ledger_transfers_to_deduction_many``,
  ``ledger_transfer_to_deduction_reverse``, ``DEDUCTION_TRANSFER_SOURCE``)
  and re-billing a deduction (``ledger_transfer_from_deduction``,
  ``REBILL_SOURCE``);
- ``summaries_fold``: ``ledger_summaries_fold`` (otc.ledger.summaries);
- ``_common``: what they share: ``LedgerError``, writing a balanced posting,
  locking items in id order, moving open amounts.
"""

from otc.ledger.services._common import LedgerError
from otc.ledger.services.applications import (
    REFUNDABLE_KINDS,
    ApplyEntry,
    ledger_application_reverse,
    ledger_apply,
    ledger_apply_many,
    ledger_refund,
    ledger_write_off,
)
from otc.ledger.services.deductions import (
    DEDUCTION_TRANSFER_SOURCE,
    REBILL_SOURCE,
    DeductionTransfer,
    ledger_transfer_from_deduction,
    ledger_transfer_to_deduction,
    ledger_transfer_to_deduction_reverse,
    ledger_transfers_to_deduction_many,
)
from otc.ledger.services.posting import NewItem, ledger_item_post, ledger_items_post_many
from otc.ledger.services.reversals import ledger_item_reverse
from otc.ledger.services.summaries_fold import ledger_summaries_fold

__all__ = [
    "DEDUCTION_TRANSFER_SOURCE",
    "REBILL_SOURCE",
    "REFUNDABLE_KINDS",
    "ApplyEntry",
    "DeductionTransfer",
    "LedgerError",
    "NewItem",
    "ledger_application_reverse",
    "ledger_apply",
    "ledger_apply_many",
    "ledger_item_post",
    "ledger_item_reverse",
    "ledger_items_post_many",
    "ledger_refund",
    "ledger_summaries_fold",
    "ledger_transfer_from_deduction",
    "ledger_transfer_to_deduction",
    "ledger_transfer_to_deduction_reverse",
    "ledger_transfers_to_deduction_many",
    "ledger_write_off",
]
