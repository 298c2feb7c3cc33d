"""Where the shared real-world sample files live (../shared/samples/), read
in place and never copied into the project. Tests that need them skip with
a clear reason when the folder is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "samples"


def sample(relative: str) -> Path:
    path = SAMPLES / relative
    if not path.exists():
        pytest.skip(f"shared sample {relative} not found under {SAMPLES}")
    return path
