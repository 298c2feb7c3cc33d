"""The filters of a report run, as stored on the run (JSON) and as the
selectors take them. Validated by reporting.forms.ReportParametersForm
before anything is stored."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from reporting.selectors.aging import AgeBy, AgingQuery, AmountIn, GroupBy
from reporting.selectors.common import BookFilter


@dataclass(frozen=True)
class ReportParameters:
    as_of: date | None = None  # None: the day the report is generated
    group_by: GroupBy = GroupBy.CUSTOMER
    age_by: AgeBy = AgeBy.DUE_DATE
    amount_in: AmountIn = AmountIn.BASE
    months: int = 12
    book: BookFilter = field(default_factory=BookFilter)

    def to_json(self) -> dict[str, Any]:
        book = {key: value for key, value in asdict(self.book).items() if value not in (None, "")}
        data: dict[str, Any] = {
            "group_by": str(self.group_by),
            "age_by": str(self.age_by),
            "amount_in": str(self.amount_in),
            "months": self.months,
            **book,
        }
        if self.as_of is not None:
            data["as_of"] = self.as_of.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportParameters:
        book_fields = BookFilter.__dataclass_fields__
        return cls(
            as_of=date.fromisoformat(data["as_of"]) if data.get("as_of") else None,
            group_by=GroupBy(data.get("group_by") or GroupBy.CUSTOMER),
            age_by=AgeBy(data.get("age_by") or AgeBy.DUE_DATE),
            amount_in=AmountIn(data.get("amount_in") or AmountIn.BASE),
            months=int(data.get("months") or 12),
            book=BookFilter(**{key: data[key] for key in book_fields if key in data}),
        )

    def aging_query(self, *, today: date) -> AgingQuery:
        return AgingQuery(
            as_of=self.as_of or today,
            group_by=self.group_by,
            age_by=self.age_by,
            amount_in=self.amount_in,
            book=self.book,
        )
