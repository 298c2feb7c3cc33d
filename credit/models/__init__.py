"""Credit management data: policies, profiles, limit history, orders and
their decisions. Data and constraints only; rules live in credit.services."""

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

__all__ = [
    "OPEN_ORDER_STATUSES",
    "PENDING_ORDER_STATUSES",
    "CreditLimitChange",
    "CreditPolicy",
    "CreditProfile",
    "HoldReason",
    "LimitKind",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderStatus",
    "RiskClass",
]
