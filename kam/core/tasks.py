"""A minimal background runner for work a page must not wait for (imports, analysis runs).

The work is recorded in the database (a row with a status and progress) before it starts, so a page can
poll it; the thread starts only after the surrounding transaction commits. Tests run tasks inline.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction

log = logging.getLogger("kam.tasks")


def _run(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        fn(*args, **kwargs)
    except Exception:  # the task records its own failure; this only keeps the thread from dying loudly
        log.exception("background task %s failed", getattr(fn, "__name__", fn))
    finally:
        close_old_connections()


def run_in_background(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    if getattr(settings, "KAM_TASKS_INLINE", False):
        fn(*args, **kwargs)
        return
    transaction.on_commit(
        lambda: threading.Thread(target=_run, args=(fn, args, kwargs), daemon=True, name="kam-task").start()
    )
