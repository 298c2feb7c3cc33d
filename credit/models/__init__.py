"""Credit management data: policies, profiles, limit history, orders and
their decisions. Data and constraints only; rules live in credit.services."""

from credit.models.applications import (
    STATEMENT_FIELDS,
    ApplicationKind,
    ApplicationStatus,
    CreditApplication,
)
from credit.models.orders import (
    OPEN_ORDER_STATUSES,
    PENDING_ORDER_STATUSES,
    HoldReason,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
)
from credit.models.profiles import (
    CreditLimitChange,
    CreditPolicy,
    CreditProfile,
    LimitKind,
    RiskClass,
)
from credit.models.reviews import CreditReview, ReviewDecision, ReviewStatus
from credit.models.scoring import SCORE_FACTORS, CreditScore, ScoreTrigger

__all__ = [
    "OPEN_ORDER_STATUSES",
    "PENDING_ORDER_STATUSES",
    "SCORE_FACTORS",
    "STATEMENT_FIELDS",
    "ApplicationKind",
    "ApplicationStatus",
    "CreditApplication",
    "CreditLimitChange",
    "CreditPolicy",
    "CreditProfile",
    "CreditReview",
    "CreditScore",
    "HoldReason",
    "LimitKind",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderStatus",
    "ReviewDecision",
    "ReviewStatus",
    "RiskClass",
    "ScoreTrigger",
]
