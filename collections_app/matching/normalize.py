"""Normalising what payers write, so that what they meant can be looked up.

Payers mangle invoice numbers in predictable ways: they drop the prefix
("2026-000123"), the dashes ("INV2026000123") or the leading zeros
("INV-2026-123"), OCR and retyping confuse O/0, I/1, S/5, B/8, and one line
often lists several numbers ("INV-2026-000123/124/125"). Every item number
is reduced to a few *keys*, every token in the remittance to the same kind of
keys, and a shared key is a hit. Written by hand because it is a handful of
string rules tied to how our own numbers look; no library models that.

What no key catches (a transposed or lost digit, "INV-2204-035046" for
INV-2024-035046) is a near miss: ``resembles`` measures it with rapidfuzz's
optimal-string-alignment distance, the edit distance that counts swapping
two neighbouring digits as one edit (plain Levenshtein counts two), in C
and well kept, so thousands of comparisons per statement cost nothing. A
near miss names a document only together with an amount that settles it
exactly (the engine's rule, not this module's).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

from rapidfuzz.distance import OSA
from stdnum import iso11649

_DIGIT_GROUPS = re.compile(r"\d+")
_TOKEN = re.compile(r"[A-Z0-9][A-Z0-9\-_/.]*[A-Z0-9]|[A-Z0-9]")
# Characters OCR and people confuse with digits, applied only after the
# first digit of a token, so a prefix such as "INV" stays as it is.
_OCR = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}
)
_AMOUNTS_AND_DATES = re.compile(
    r"(?<![\w-])("
    r"\d{1,3}([.,' ]\d{3})*[.,]\d{2}"  # 1.234,56  1,234.56  500.00
    r"|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2}"  # 20.11.2026  2026-11-20
    r")(?![\w-])"
)
_LEGAL_FORMS_TEXT = (
    "gmbh ag kg ohg co kgaa ug se inc incorporated ltd limited llc llp plc corp corporation "
    "company sa sas sarl sl srl spa bv nv oy ab as aps the und and et cie mbh ek ev gbr"
)
LEGAL_FORMS = frozenset(_LEGAL_FORMS_TEXT.split())


# OCR and retyping confuse these letters and digits in either direction
# ("1NV-2O24-OO4961"); folding both sides to one representative makes the
# confusion vanish wherever in the number it happened, the prefix included.
_CONFUSABLE = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}
)
# A folded prefix ("INV" -> "1NV"): letters, possibly one folded digit first.
_FOLDED_PREFIX = re.compile(r"^\d?[A-Z]+")
NEAR_MISS_MIN_DIGITS = 6  # shorter numbers sit too close to each other


_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


def alnum_upper(text: str) -> str:
    return _NOT_ALNUM.sub("", text).upper()


def folded(text: str) -> str:
    """Upper-case alphanumerics with confusable characters folded."""
    return alnum_upper(text).translate(_CONFUSABLE)


def number_keys(number: str) -> set[str]:
    """The keys an item number is found under (see the module docstring)."""
    return _number_keys(alnum_upper(number), _DIGIT_GROUPS.findall(number))


def item_keys(number: str) -> tuple[set[str], str, str]:
    """What ``MatchIndex`` files an item number under: its ``number_keys``,
    its RF key and its ``last_group_key``, from one pass over the number (the
    index files every open item of the tenant, 100,000 and more)."""
    compact = alnum_upper(number)
    groups = _DIGIT_GROUPS.findall(number)
    last = groups[-1].lstrip("0") if groups else ""
    return _number_keys(compact, groups), "RF:" + compact[-21:], last


def _number_keys(compact: str, groups: list[str]) -> set[str]:
    keys = {compact, compact[-21:]}  # RF references keep the last 21 alphanumerics
    if groups:
        stripped = [group.lstrip("0") or "0" for group in groups]
        keys.add("#" + "-".join(stripped))
        keys.add("#" + "".join(groups))
        keys.add("#" + "".join(stripped))
    keys.add("~" + compact.translate(_CONFUSABLE))  # folded(number)
    return {key for key in keys if key and key not in {"#", "~"}}


@functools.lru_cache(maxsize=65_536)  # the same tokens are compared with many items
def digit_forms(text: str) -> tuple[str, str]:
    """The digits of a document number after its prefix, as written and with
    each group's leading zeros dropped, confusables folded:
    "INV-2024-004961" -> ("2024004961", "20244961")."""
    pieces = [folded(piece) for piece in re.split(r"[^0-9A-Za-z]+", text) if piece]
    if pieces:
        pieces[0] = _FOLDED_PREFIX.sub("", pieces[0])
    digits = ["".join(char for char in piece if char.isdigit()) for piece in pieces]
    return "".join(digits), "".join(group.lstrip("0") for group in digits)


def resembles(token_forms: tuple[str, str], number_forms: tuple[str, str]) -> bool:
    """One edit apart (a digit swapped with its neighbour, lost, added or
    misread): a near miss of a number of at least six digits."""
    for token, number in zip(token_forms, number_forms, strict=True):
        if len(number) < NEAR_MISS_MIN_DIGITS or abs(len(token) - len(number)) > 1:
            continue
        if OSA.distance(token, number, score_cutoff=1) <= 1:
            return True
    return False


def last_group_key(number: str) -> str:
    """The running number alone ("123" of INV-2026-000123): looked up only
    among the items of a customer already identified."""
    groups = _DIGIT_GROUPS.findall(number)
    return groups[-1].lstrip("0") if groups else ""


def _ocr_fixed(token: str) -> str:
    first_digit = next((i for i, char in enumerate(token) if char.isdigit()), None)
    if first_digit is None:
        return token
    return token[:first_digit] + token[first_digit:].translate(_OCR)


def _token_keys(token: str) -> set[str]:
    keys: set[str] = set()
    for variant in {token, _ocr_fixed(token)}:
        digits = "".join(_DIGIT_GROUPS.findall(variant))
        if not digits:
            continue
        if variant.isdigit() and len(variant) < 5:
            continue  # "2026", "500": too short alone to mean an invoice
        keys |= number_keys(variant)
    return keys


def _expand_lists(tokens: list[str]) -> list[str]:
    """ "INV-2026-000123/124/125" -> the three full numbers."""
    out: list[str] = []
    for token in tokens:
        parts = re.split(r"[/+&]", token)
        if len(parts) == 1 or not re.search(r"[A-Z-]", parts[0]):
            out.append(token)
            continue
        previous = parts[0]
        out.append(previous)
        for part in parts[1:]:
            match = re.search(r"(\d+)$", previous)
            full = part
            if part.isdigit() and match and len(part) <= len(match.group(1)):
                tail = match.group(1)
                full = previous[: match.start(1)] + tail[: len(tail) - len(part)] + part
            out.append(full)
            previous = full
    return out


def reference_tokens(text: str) -> list[str]:
    """Tokens of a remittance text that could be document references."""
    upper = _AMOUNTS_AND_DATES.sub(" ", unicodedata.normalize("NFKC", text).upper())
    tokens = [t for t in (token.strip("-_/.") for token in _TOKEN.findall(upper)) if t]
    expanded = _expand_lists(tokens)
    # "INV 2026 000123": adjacent pieces joined as one number as well.
    joined = [
        f"{a}-{b}"
        for a, b in itertools.pairwise(expanded)
        if any(c.isdigit() for c in b) and (a.isalpha() or a.isdigit()) and len(a) <= 8
    ]
    return expanded + joined


def reference_keys(text: str) -> dict[str, str]:
    """key -> the token it came from, for every token of `text`. Valid ISO
    11649 references ("RF18539007547034") map their payload."""
    found: dict[str, str] = {}
    for token in reference_tokens(text):
        compact = alnum_upper(token)
        if compact.startswith("RF") and len(compact) > 4 and iso11649.is_valid(compact):
            found.setdefault("RF:" + compact[4:], compact)
            continue
        for key in _token_keys(token):
            found.setdefault(key, token)
    return found


def short_numbers(text: str) -> set[str]:
    """Plain running numbers ("123") in a text, for the identified customer."""
    return {
        token.lstrip("0")
        for token in re.findall(r"(?<![\d.,])\d{3,9}(?![\d.,])", text)
        if token.lstrip("0")
    }


_TRANSLITERATE = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)
# Banks that cannot print umlauts either spell them out (Mueller) or drop
# the dots (Muller); a name is looked up under both spellings.
_STRIPPED = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "Ä": "A", "Ö": "O", "Ü": "U", "ß": "ss"})
# "S.A.", "e.K.", "B.V.": dotted initials read as one word, so that the
# legal form is recognised and dropped.
_DOTTED_INITIAL = re.compile(r"\b([a-z])\.(?=[a-z]\b)")


def _normalized(spelled: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", _DOTTED_INITIAL.sub(r"\1", ascii_text.lower()))
    kept = [word for word in words if word not in LEGAL_FORMS]
    return " ".join(kept or words)


def normalize_name(name: str) -> str:
    """Lower case, accents and punctuation removed, legal forms dropped:
    "Müller & Söhne GmbH" -> "mueller soehne"."""
    # German transliteration first (Müller -> Mueller, as banks often print
    # it), then any other accent stripped.
    return _normalized(name.translate(_TRANSLITERATE))


def name_forms(name: str) -> set[str]:
    """``normalize_name`` and the spelling with umlauts' dots dropped
    ("mueller soehne", "muller sohne")."""
    return {form for form in (normalize_name(name), _normalized(name.translate(_STRIPPED))) if form}


def normalize_account(account: str) -> str:
    return alnum_upper(account)
