"""Bank statements and remittance advices: reading (and, for generated test
data, writing) the formats banks and payers send. Pure functions over bytes;
see ``types`` for what they return and ``parse`` for the entry points."""

from .parse import detect_format, detect_remittance_format, parse_bank_file, parse_remittance
from .types import (
    BankFileError,
    BankFileFormat,
    BankStatement,
    BankTransaction,
    CsvColumnMapping,
    Direction,
    Remittance,
    RemittanceFormat,
    RemittanceLine,
)

__all__ = [
    "BankFileError",
    "BankFileFormat",
    "BankStatement",
    "BankTransaction",
    "CsvColumnMapping",
    "Direction",
    "Remittance",
    "RemittanceFormat",
    "RemittanceLine",
    "detect_format",
    "detect_remittance_format",
    "parse_bank_file",
    "parse_remittance",
]
