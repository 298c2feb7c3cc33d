"""Keeping Python's cyclic garbage collector off objects that stay alive anyway.

The collector's full passes walk every tracked object of the process. A long
piece of work that builds hundreds of thousands of objects which all live
until it ends (a PDF's boxes and styles, a statement's match index, parsed
lines and rows being written) pushes the collector into full passes that
walk the whole heap of a worker and free nothing: a tenth of a PDF render,
34 s of a 10,000-line cash application run. Reference counting frees what
such work throws away; the few cycles go at the next collection after it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0  # how many gc_paused() blocks are running, in all threads
_resume = False  # whether the collector was on when the first one started


@contextmanager
def gc_paused() -> Iterator[None]:
    """No collection while the block runs. Counted, so that blocks in
    several threads (or nested) switch the collector back on only when the
    last one ends, and never on if something else had switched it off."""
    global _paused, _resume  # noqa: PLW0603  (one collector per process)
    with _lock:
        if _paused == 0:
            _resume = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _resume:
                gc.enable()


@contextmanager
def long_lived_frozen() -> Iterator[None]:
    """What exists before a long run (an index, the loaded payments) lives
    through it: frozen, the collector's full passes skip it while the run's
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
