"""Cash application services, by topic:

- ``payments``: create, identify, status transitions, return/refund/reverse
- ``imports``: bank statements and remittance advices in
- ``matching``: run the engine, store proposals, auto-apply
- ``applying``: apply a proposal or a person's allocation, unapply, learn
- ``metrics``: auto-match rate, precision, queue size

The branded document toolkit of dunning (letterhead, logo, colours, the
data:-only PDF renderer) and the statement of account are public here, so
reporting's PDFs look like the tenant's letters and reuse the one statement.
"""

from collections_app.dunning.services.documents import branding_context, html_to_pdf
from collections_app.dunning.services.letters import statement_of_account_pdf
from collections_app.services.applying import (
    ManualLine,
    payment_allocate,
    payment_unapply,
    proposal_apply,
)
from collections_app.services.imports import (
    BankFileRejected,
    ImportResult,
    bank_file_import,
    csv_mapping_save,
    remittance_import,
    statements_import,
)
from collections_app.services.matching import (
    cash_policy_get,
    cash_policy_update,
    payments_match,
    statement_match,
)
from collections_app.services.payments import (
    TRANSITIONS,
    payment_create,
    payment_refund,
    payment_return,
    payment_reverse,
)

__all__ = [
    "TRANSITIONS",
    "BankFileRejected",
    "ImportResult",
    "ManualLine",
    "bank_file_import",
    "branding_context",
    "cash_policy_get",
    "cash_policy_update",
    "csv_mapping_save",
    "html_to_pdf",
    "payment_allocate",
    "payment_create",
    "payment_refund",
    "payment_return",
    "payment_reverse",
    "payment_unapply",
    "payments_match",
    "proposal_apply",
    "remittance_import",
    "statement_match",
    "statement_of_account_pdf",
    "statements_import",
]
