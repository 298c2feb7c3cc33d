"""Tax ids are checked by the customer's country and stored compact."""

from __future__ import annotations

import pytest

from otc.customers.tax_ids import TaxIdError, format_tax_id, normalize_tax_id


@pytest.mark.parametrize(
    ("country", "given", "stored"),
    [
        ("DE", "DE 136 695 976", "DE136695976"),
        ("DE", "136695976", "DE136695976"),  # the prefix is added when missing
        ("FR", "fr 40 303 265 045", "FR40303265045"),
        ("NL", "NL004495445B01", "NL004495445B01"),
        ("IT", "00743110157", "IT00743110157"),
        ("AT", "ATU 13585627", "ATU13585627"),
        ("BE", "0403.019.261", "BE0403019261"),
        ("GR", "094259216", "EL094259216"),  # Greece's VAT prefix is EL
        ("US", "04-2103594", "042103594"),
        ("GB", "GB 980 7806 84", "GB980780684"),
        ("GB", "980780684", "GB980780684"),
        ("CH", "CHE-107.787.577 MWST", "CHE107787577"),
        ("AU", "83 914 571 673", "83914571673"),
        ("DE", "   ", ""),
    ],
)
def test_valid_numbers_are_stored_compact(country, given, stored):
    assert normalize_tax_id(given, country=country) == stored


@pytest.mark.parametrize(
    ("country", "given", "words"),
    [
        ("DE", "DE136695978", "check digit"),
        ("DE", "DE1366", "wrong number of characters"),
        ("DE", "FR40303265045", "starts with FR"),
        ("GR", "GR094259216", "starts with EL"),
        ("US", "12-345", "US EIN"),
        ("GB", "980780685", "UK VAT number fails its check digit"),
        ("CH", "CHE-107.787.578", "Swiss UID"),
    ],
)
def test_invalid_numbers_explain_what_to_fix(country, given, words):
    with pytest.raises(TaxIdError) as error:
        normalize_tax_id(given, country=country)
    assert words in str(error.value)


def test_error_shows_a_valid_example_for_the_country():
    with pytest.raises(TaxIdError, match="DE136695976"):
        normalize_tax_id("DE000000000", country="DE")


def test_countries_without_a_checker_keep_the_number_compacted():
    assert normalize_tax_id("ab-12 3", country="ZW") == "AB123"
    with pytest.raises(TaxIdError, match="Latin letters and digits"):
        normalize_tax_id("²³¹", country="ZW")


@pytest.mark.parametrize(
    ("country", "stored", "shown"),
    [
        ("US", "042103594", "04-2103594"),
        ("CH", "CHE107787577", "CHE-107.787.577"),
        ("DE", "DE136695976", "DE136695976"),
    ],
)
def test_format_for_people(country, stored, shown):
    assert format_tax_id(stored, country=country) == shown
