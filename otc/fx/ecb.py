"""Parsers for the European Central Bank's euro reference rate feeds.

The ECB publishes three XML files of one shape (eurofxref-daily.xml,
eurofxref-hist-90d.xml, eurofxref-hist.xml: Cube[@time]/Cube[@currency,@rate])
and two CSVs, each also shipped zipped: the daily eurofxref.csv (dates like
"13 April 2026") and the full history eurofxref-hist.csv (ISO dates, "N/A"
where a currency was not quoted). They are small and stable; no maintained
PyPI package parses all of them into Decimals without pulling in a whole
conversion library, so this module does, strictly: any deviation raises
EcbFeedError and nothing is returned, so a truncated download can never
write half a day of rates.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element

from babel.numbers import get_currency_name
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

ECB_NAMESPACE = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
# The whole history since 1999 is about 7 MB unpacked; anything far larger is
# not an ECB file (and a zip that inflates beyond it is refused unread).
MAX_FEED_BYTES = 64 * 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_CSV_DATE_FORMATS = {"daily": "%d %B %Y", "history": "%Y-%m-%d"}


class EcbFeedError(ValueError):
    """The feed is malformed; the message says where."""


@dataclass(frozen=True)
class EcbRate:
    rate_date: date
    currency: str
    rate: Decimal  # 1 EUR = rate currency


def _currency(code: str, where: str) -> str:
    code = code.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise EcbFeedError(f"{where}: '{code}' is not an ISO 4217 currency code")
    if get_currency_name(code, locale="en") == code:
        # Babel knows every current and historic ISO code by name.
        raise EcbFeedError(f"{where}: unknown currency '{code}'")
    return code


def _rate(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise EcbFeedError(f"{where}: rate '{text}' is not a number") from None
    if not value.is_finite() or value <= 0:
        raise EcbFeedError(f"{where}: rate '{text}' must be a positive number")
    return value


def _date(text: str, where: str, fmt: str) -> date:
    try:
        return datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        raise EcbFeedError(f"{where}: '{text}' is not a date") from None


def _checked(rates: list[EcbRate]) -> list[EcbRate]:
    if not rates:
        raise EcbFeedError("the feed holds no rates")
    seen: set[tuple[date, str]] = set()
    for rate in rates:
        key = (rate.rate_date, rate.currency)
        if key in seen:
            # Two different rates for one day cannot both be the reference rate.
            raise EcbFeedError(f"{rate.currency} appears twice for {rate.rate_date.isoformat()}")
        seen.add(key)
    return rates


def parse_ecb_xml(content: bytes) -> list[EcbRate]:
    try:
        root: Element = ElementTree.fromstring(content)
    except (ElementTree.ParseError, DefusedXmlException) as error:
        raise EcbFeedError(f"not well-formed XML: {error}") from None
    outer = root.find(f"{ECB_NAMESPACE}Cube")
    if outer is None:
        raise EcbFeedError("no <Cube> element: not an ECB reference rate feed")
    rates: list[EcbRate] = []
    for day_number, day in enumerate(outer.findall(f"{ECB_NAMESPACE}Cube"), start=1):
        time = day.get("time")
        if time is None:
            raise EcbFeedError(f"Cube #{day_number}: missing time attribute")
        rate_date = _date(time, f"Cube time='{time}'", "%Y-%m-%d")
        entries = day.findall(f"{ECB_NAMESPACE}Cube")
        if not entries:
            raise EcbFeedError(f"Cube time='{time}': no rates")
        for entry in entries:
            where = f"Cube time='{time}' currency='{entry.get('currency')}'"
            currency = _currency(entry.get("currency") or "", where)
            rates.append(EcbRate(rate_date, currency, _rate(entry.get("rate") or "", where)))
    return _checked(rates)


def parse_ecb_csv(content: bytes) -> list[EcbRate]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EcbFeedError("not UTF-8 text") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise EcbFeedError("expected a header line and at least one line of rates")
    header = [cell.strip() for cell in rows[0]]
    if header[0] != "Date":
        raise EcbFeedError("line 1: the first column must be 'Date'")
    currencies = [
        _currency(code, f"line 1, column {index + 1}")
        for index, code in enumerate(header[1:], start=1)
        if code
    ]
    # One date format per file, chosen by the first line of rates: the daily
    # file writes "13 April 2026", the history "2026-04-13"; a file mixing
    # them is not an ECB file.
    first_date = rows[1][0].strip()
    date_format = _CSV_DATE_FORMATS["history" if first_date[:4].isdigit() else "daily"]
    rates: list[EcbRate] = []
    for line_number, row in enumerate(rows[1:], start=2):
        cells = [cell.strip() for cell in row]
        rate_date = _date(cells[0], f"line {line_number}", date_format)
        values = cells[1:]
        while values and not values[-1]:
            values.pop()  # the ECB ends every line with a comma
        if len(values) != len(currencies):
            raise EcbFeedError(
                f"line {line_number}: {len(values)} rates for {len(currencies)} currencies"
            )
        for column, (currency, value) in enumerate(zip(currencies, values, strict=True), start=2):
            if value == "N/A":
                continue  # the ECB marks currencies it no longer quotes
            rates.append(
                EcbRate(rate_date, currency, _rate(value, f"line {line_number}, column {column}"))
            )
    return _checked(rates)


def _unzip(content: bytes) -> bytes:
    """The one XML or CSV file inside an ECB zip (eurofxref-hist.zip)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise EcbFeedError(f"not a readable zip archive: {error}") from None
    if len(members) != 1 or not members[0].filename.lower().endswith((".csv", ".xml")):
        names = ", ".join(info.filename for info in members) or "nothing"
        raise EcbFeedError(f"the zip archive must hold one .csv or .xml file, not {names}")
    member = members[0]
    if member.file_size > MAX_FEED_BYTES:
        raise EcbFeedError(f"{member.filename} unpacks to {member.file_size} bytes: too large")
    try:
        with archive.open(member) as handle:
            unpacked = handle.read(MAX_FEED_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise EcbFeedError(f"{member.filename} in the zip archive is damaged: {error}") from None
    if len(unpacked) > MAX_FEED_BYTES:
        raise EcbFeedError(f"{member.filename} unpacks to more than {MAX_FEED_BYTES} bytes")
    if unpacked.startswith(_ZIP_MAGIC):
        raise EcbFeedError("a zip archive inside a zip archive is not an ECB file")
    return unpacked


def parse_ecb_feed(content: bytes) -> list[EcbRate]:
    """XML or CSV, or a zip archive holding one of them; recognised by content."""
    if content.startswith(_ZIP_MAGIC):
        content = _unzip(content)
    if content.lstrip().startswith(b"<"):
        return parse_ecb_xml(content)
    return parse_ecb_csv(content)
