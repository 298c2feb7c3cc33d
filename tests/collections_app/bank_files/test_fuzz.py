"""Truncated and garbled versions of every sample: a parser either reads the
file or raises BankFileError that names where, never anything else (a bare
KeyError/IndexError would mean a half-handled file)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from collections_app.bank_files import (
    BankFileError,
    BankFileFormat,
    RemittanceFormat,
    parse_bank_file,
    parse_remittance,
)
from collections_app.bank_files.bai2 import parse_bai2
from collections_app.bank_files.camt import parse_camt
from collections_app.bank_files.edi820 import parse_edi820
from collections_app.bank_files.mt940 import parse_mt940
from tests.samples import SAMPLES

FOLDERS = {
    "camt053": BankFileFormat.CAMT053,
    "camt054": BankFileFormat.CAMT054,
    "bai2": BankFileFormat.BAI2,
    "mt940": BankFileFormat.MT940,
    "remittance_edi820": RemittanceFormat.EDI820,
}
NOISE = b"0123456789ABCDEFXYZaz:/,?+-.<>*~ \n"


def _samples() -> list[tuple[str, Path]]:
    if not SAMPLES.exists():
        return []
    return [
        (folder, path)
        for folder in FOLDERS
        for path in sorted((SAMPLES / folder).glob("*"))
        if path.suffix != ".997"
    ]


def _variants(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    variants = [data[: len(data) * cut // 20] for cut in range(1, 20)]
    for _ in range(60):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(mutated))
            mutated[position] = rng.choice(NOISE)
        variants.append(bytes(mutated))
    for _ in range(10):
        start = rng.randrange(len(data))
        variants.append(data[:start] + data[start + rng.randint(1, 40) :])
    return variants


def _direct(folder: str, data: bytes) -> object:
    """The format's own parser, without parse.py's safety net."""
    if folder.startswith("camt"):
        return parse_camt(data)
    if folder == "bai2":
        return parse_bai2(data)
    if folder == "mt940":
        return parse_mt940(data)
    return parse_edi820(data)


@pytest.mark.skipif(not SAMPLES.exists(), reason=f"shared samples not found under {SAMPLES}")
@pytest.mark.parametrize(
    ("folder", "path"), _samples(), ids=lambda value: getattr(value, "name", value)
)
def test_garbled_samples_fail_only_with_located_errors(folder: str, path: Path) -> None:
    data = path.read_bytes()
    file_format = FOLDERS[folder]
    unlocated: list[str] = []
    for index, variant in enumerate(_variants(data, seed=len(data))):
        try:
            _direct(folder, variant)
        except BankFileError as error:
            if not error.location:
                unlocated.append(f"variant {index}: {error}")
        # Through the entry point as well: same outcome, never another type.
        try:
            if isinstance(file_format, RemittanceFormat):
                parse_remittance(variant, file_format=file_format)
            else:
                parse_bank_file(variant, file_format=file_format)
        except BankFileError:
            pass
    assert unlocated == []
