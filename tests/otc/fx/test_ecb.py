"""The ECB parsers on the ECB's own files (shared samples) and on broken ones."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from otc.fx.ecb import EcbFeedError, parse_ecb_csv, parse_ecb_feed, parse_ecb_xml
from tests.samples import sample


def _feed(day: str, currency: str, rate: str) -> bytes:
    return (
        '<E xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref"><Cube>'
        f"<Cube time='{day}'><Cube currency='{currency}' rate='{rate}'/></Cube></Cube></E>"
    ).encode()


def test_daily_xml():
    rates = parse_ecb_xml(sample("ecb_fx/exchanger_eurofxref-daily_success.xml").read_bytes())
    by_currency = {rate.currency: rate for rate in rates}
    assert len(rates) == 31
    assert {rate.rate_date for rate in rates} == {date(2015, 1, 7)}
    assert by_currency["USD"].rate == Decimal("1.1831")
    assert by_currency["GBP"].rate == Decimal("0.78230")  # trailing zero kept: exact Decimal
    assert by_currency["JPY"].rate == Decimal("141.17")


def test_90_day_history_has_business_days_only():
    rates = parse_ecb_xml(sample("ecb_fx/exchanger_eurofxref-hist-90d.xml").read_bytes())
    days = sorted({rate.rate_date for rate in rates})
    assert len(days) == 65
    assert days[0] == date(2019, 9, 2)
    assert days[-1] == date(2019, 11, 29)
    assert all(day.weekday() < 5 for day in days)


def test_historic_extract():
    rates = parse_ecb_feed(sample("ecb_fx/exchanger_eurofxref-hist-2016-extract.xml").read_bytes())
    assert len({rate.rate_date for rate in rates}) == 64


def test_daily_csv_with_padded_values_and_trailing_commas():
    rates = parse_ecb_csv(sample("ecb_fx/currencyconverter_eurofxref-daily.csv").read_bytes())
    by_currency = {rate.currency: rate.rate for rate in rates}
    assert {rate.rate_date for rate in rates} == {date(2026, 4, 13)}
    assert by_currency["USD"] == Decimal("1.1684")
    assert by_currency["IDR"] == Decimal("20082.05")
    assert len(by_currency) == 29


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not well-formed|expected a header"),
        (b"<gesmes:Envelope", "not well-formed"),
        (b"<root/>", "no <Cube>"),
        (_feed("2020-01-02", "USD", "abc"), "rate 'abc' is not a number"),
        (_feed("2020-01-02", "USD", "-1"), "must be a positive number"),
        (_feed("2020-13-02", "USD", "1.1"), "not a date"),
        (_feed("2020-01-02", "ZZZ", "1.1"), "unknown currency 'ZZZ'"),
        (b"Date, USD,\n13 April 2026, 1.1, 2.2,\n", "2 rates for 1 currencies"),
        (b"Day, USD,\n13 April 2026, 1.1,\n", "first column must be 'Date'"),
    ],
)
def test_malformed_feeds_are_refused_with_the_place(content, message):
    with pytest.raises(EcbFeedError, match=message):
        parse_ecb_feed(content)


def test_truncated_real_feed_is_refused():
    content = sample("ecb_fx/exchanger_eurofxref-hist-90d.xml").read_bytes()
    with pytest.raises(EcbFeedError, match="not well-formed"):
        parse_ecb_feed(content[: len(content) // 2])


def test_entity_expansion_is_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>'
    )
    with pytest.raises(EcbFeedError):
        parse_ecb_feed(bomb)
