"""Reads of the credit app: exposure, profiles, policy and orders."""

from credit.selectors.exposure import (
    Exposure,
    customer_exposure,
    group_customer_ids,
    group_exposure,
    group_root,
)
from credit.selectors.lists import (
    credit_limit_history,
    credit_policy_get,
    credit_profile_find,
    credit_profile_get,
    credit_profile_list,
    credit_score_history,
    credit_score_latest,
    customers_over_utilization,
    held_order_queue,
    order_events,
    order_get,
    order_lines,
    order_list,
    reviews_due,
)

__all__ = [
    "Exposure",
    "credit_limit_history",
    "credit_policy_get",
    "credit_profile_find",
    "credit_profile_get",
    "credit_profile_list",
    "credit_score_history",
    "credit_score_latest",
    "customer_exposure",
    "customers_over_utilization",
    "group_customer_ids",
    "group_exposure",
    "group_root",
    "held_order_queue",
    "order_events",
    "order_get",
    "order_lines",
    "order_list",
    "reviews_due",
]
