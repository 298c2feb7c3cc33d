"""The one request body format of the API: JSON, read safely.

- Size: DRF streams JSON straight from the socket, past Django's
  DATA_UPLOAD_MAX_MEMORY_SIZE check, so the limit is enforced here (413).
- Numbers with a fraction keep their exact text (``ExactNumber``): a
  DecimalField reads "19.99" or "12345678901234567.89" digit for digit, as
  money needs, while the value still behaves as a float everywhere else
  (JSONField, json.dumps), where a Decimal would not serialise.
- Anything that is not valid JSON (bad UTF-8, an unknown charset, NaN,
  nesting deep enough to exhaust the stack, integers with thousands of
  digits) is a 400, never a 500.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import IO, Any, NoReturn

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from otc.api.errors import PayloadTooLarge


class ExactNumber(float):
    """A JSON number with a fraction or exponent that remembers its literal.

    ``str()`` gives the literal back, and DRF's DecimalField (like
    ``Decimal(str(x))``) builds the Decimal from ``str()``, so no digit is
    lost to binary floating point on the way to a money field.
    """

    literal: str

    def __new__(cls, literal: str) -> ExactNumber:
        number = super().__new__(cls, literal)
        number.literal = literal
        return number

    def __str__(self) -> str:
        return self.literal


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


class JSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) or None
        raw: bytes = stream.read(limit + 1) if limit else stream.read()
        if limit and len(raw) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            codecs.lookup(encoding)
            text = raw.decode(encoding)
            return json.loads(text, parse_float=ExactNumber, parse_constant=_reject_constant)
        except LookupError as exc:
            raise ParseError(f"Unknown charset {encoding!r}; send UTF-8.") from exc
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc
        except ValueError as exc:  # includes UnicodeDecodeError and JSONDecodeError
            raise ParseError(f"JSON parse error - {exc}") from exc
