"""Keeping Python's cyclic garbage collector off the objects a statement's
import and matching keep alive anyway.

The collector's full passes walk every tracked object; a statement run
holds hundreds of thousands (the match index, the parsed lines, the rows
being written) and creates them faster than the passes' thresholds grow, so
on a 10,000-line statement the passes cost a tenth of the run and free
nothing. What these runs throw away is freed by reference counting."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No collection while objects that all stay alive are built (the
    index, an import's rows); the collector runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def long_lived_frozen() -> Iterator[None]:
    """What exists before a long run (the index, the loaded payments) lives
    through it: frozen, the collector's full passes skip it, while the run's
    own garbage is still collected. Unfrozen after, so it is collected as
    usual once dropped."""
    if gc.get_freeze_count():
        yield  # an outer caller froze; its objects are its to unfreeze
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
