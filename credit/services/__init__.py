"""Writes of the credit app: policy, profiles and limits, orders and their
credit decisions."""

from credit.services.applications import (
    credit_application_approve,
    credit_application_create,
    credit_application_reject,
    credit_application_request_info,
    credit_application_start_review,
    credit_application_submit,
)
from credit.services.checks import Decision, Reason, credit_check
from credit.services.common import format_money
from credit.services.orders import (
    OrderLineInput,
    order_cancel,
    order_consume_for_invoice,
    order_create,
    order_reject,
    order_release,
    order_request_info,
    order_submit,
)
from credit.services.profiles import (
    CREDIT_POLICY_FIELDS,
    credit_limit_set,
    credit_policy_update,
    credit_profile_block,
    credit_profile_ensure,
    credit_profile_unblock,
    credit_profile_update,
)
from credit.services.ratios import application_ratios
from credit.services.reviews import add_months, credit_review_complete, credit_reviews_schedule
from credit.services.scoring import (
    credit_rescore_tenant,
    credit_score_customer,
    credit_score_refresh_later,
    credit_scores_compute,
)
from credit.services.transitions import TRANSITIONS, can_transition

__all__ = [
    "CREDIT_POLICY_FIELDS",
    "TRANSITIONS",
    "Decision",
    "OrderLineInput",
    "Reason",
    "add_months",
    "application_ratios",
    "can_transition",
    "credit_application_approve",
    "credit_application_create",
    "credit_application_reject",
    "credit_application_request_info",
    "credit_application_start_review",
    "credit_application_submit",
    "credit_check",
    "credit_limit_set",
    "credit_policy_update",
    "credit_profile_block",
    "credit_profile_ensure",
    "credit_profile_unblock",
    "credit_profile_update",
    "credit_rescore_tenant",
    "credit_review_complete",
    "credit_reviews_schedule",
    "credit_score_customer",
    "credit_score_refresh_later",
    "credit_scores_compute",
    "format_money",
    "order_cancel",
    "order_consume_for_invoice",
    "order_create",
    "order_reject",
    "order_release",
    "order_request_info",
    "order_submit",
]
