from __future__ import annotations

from typing import Any

from django.db import models

# As the ledger: four decimals store every ISO minor unit exactly; services
# quantize to the currency's own minor unit before saving.
AMOUNT_DIGITS, AMOUNT_DECIMALS = 18, 4
RATE_DIGITS, RATE_DECIMALS = 20, 10


def amount_field(**kwargs: Any) -> models.DecimalField:
    return models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, **kwargs)
