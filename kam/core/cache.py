"""Figures derived from the sales ledger, cached until the ledger changes.

The ledger (`ledger_salesline` and its monthly aggregate `ledger_monthly`) changes only through its
writers: a finished import batch, lines written by delivered orders and their returns, the demo, and a
rebuild of the aggregate. `ledger_version()` reads a fingerprint of those writes in one cheap query
(index-only maxima and the small import-batches table), so any write gives new cache keys and the old
entries simply expire:

* import batches: how many, the last id, the last finish time (an import, a re-run, a reset);
* the last ledger line id (orders write lines through a long-lived batch of their own);
* the last monthly-aggregate row id (a refresh or rebuild deletes and re-inserts rows).

`cached(key_parts, compute, ttl)` keeps `compute()`'s result in Django's cache (local memory per
process by default, Redis when KAM_REDIS_URL is set) under a key made of the version and `key_parts`.
The key must hold everything the result depends on apart from the ledger: ids, period, and the user's
scope when the result is cut to what the user may see. Plans, targets and anything else edited through
the pages are not ledger-derived and must not go through here.

Within one request the version is read once (memoised between `request_started` and
`request_finished`); outside a request it is read on every call.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import connection

T = TypeVar("T")

DEFAULT_TTL = 15 * 60  # a safety net only: any ledger write changes the keys at once
PREFIX = "kam:ledger"

_request_version: ContextVar[dict[str, str] | None] = ContextVar("kam_ledger_version", default=None)
_request_memo: ContextVar[dict[Any, Any] | None] = ContextVar("kam_request_memo", default=None)


def _read_version() -> str:
    from kam.ledger.models import ImportBatch, LedgerMonthly, SalesLine

    batches = ImportBatch._meta.db_table
    lines = SalesLine._meta.db_table
    monthly = LedgerMonthly._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {batches}), (SELECT MAX(id) FROM {batches}), "
            f"(SELECT MAX(finished_at) FROM {batches}), (SELECT MAX(id) FROM {lines}), "
            f"(SELECT MAX(id) FROM {monthly})"
        )
        row = cursor.fetchone()
    raw = "|".join("" if value is None else str(value) for value in row)
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def ledger_version() -> str:
    """A short fingerprint that changes on every write to the ledger (memoised per request)."""
    memo = _request_version.get()
    if memo is None:
        return _read_version()
    version = memo.get("v")
    if version is None:
        version = memo["v"] = _read_version()
    return version


def forget_version() -> None:
    """Read the version again on the next call (after a write inside the same request)."""
    memo = _request_version.get()
    if memo is not None:
        memo.pop("v", None)


def _part(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return "[" + ",".join(_part(v) for v in items) + "]"
    return str(value)


def make_key(key_parts: Iterable[Any], version: str | None = None) -> str:
    body = ":".join(_part(p) for p in key_parts)
    digest = hashlib.blake2b(body.encode(), digest_size=16).hexdigest()
    return f"{PREFIX}:{version or ledger_version()}:{digest}"


_MISSING = object()


# After an import every key is new: the first requests of every worker would run the same heavy query at
# once (the plan actuals: 0.4-0.8 s each on 10 M lines). One computes; the others wait for its result.
LOCK_TTL = 60  # a computing request that died frees its lock after this many seconds
LOCK_WAIT = 10.0  # how long a request waits for another's result before computing it itself
LOCK_POLL = 0.05


def cached(key_parts: Iterable[Any], compute: Callable[[], T], ttl: int = DEFAULT_TTL) -> T:
    """compute()'s result, reused until the ledger changes (or `ttl` seconds pass).

    `key_parts`: a namespace first (e.g. "planning.actuals"), then every argument the result depends on.
    While one request computes a missing value, others asking for it wait for that result (up to
    LOCK_WAIT seconds) instead of computing it too.
    """
    key = make_key(key_parts)
    value = cache.get(key, _MISSING)
    if value is not _MISSING:
        return value
    lock = f"{key}:computing"
    if not cache.add(lock, 1, LOCK_TTL):
        deadline = time.monotonic() + LOCK_WAIT
        while time.monotonic() < deadline:
            time.sleep(LOCK_POLL)
            value = cache.get(key, _MISSING)
            if value is not _MISSING:
                return value
    try:
        value = compute()
        cache.set(key, value, ttl)
    finally:
        cache.delete(lock)
    return value


def per_request(key: Any, compute: Callable[[], T]) -> T:
    """compute()'s result, computed once per request (outside a request: on every call).

    For reads that several widgets of one page repeat (the latest analysis snapshot, say) and that a
    page does not change before it is rendered.
    """
    memo = _request_memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


GENERATION_PREFIX = "kam:generation"


def generation(name: str) -> str:
    """A token that changes whenever `bump(name)` is called: part of the key of figures that depend on
    rows other than the ledger's (read once per request; a new token if the cache lost the old one)."""

    def read() -> str:
        key = f"{GENERATION_PREFIX}:{name}"
        token = cache.get(key)
        if token is None:
            cache.add(key, secrets.token_hex(8), None)  # add: of two first readers, one token wins
            token = cache.get(key) or "lost"
        return str(token)

    return per_request(("generation", name), read)


def bump(name: str) -> None:
    cache.set(f"{GENERATION_PREFIX}:{name}", secrets.token_hex(8), None)
    memo = _request_memo.get()
    if memo is not None:
        memo.pop(("generation", name), None)


def now_and_after_commit(forget: Callable[[], object]) -> None:
    """Run `forget` (drop a cached entry, bump a generation) at once and again after the commit: a
    request that reads between the write and its commit would otherwise cache the old state again."""
    from django.db import transaction

    forget()
    transaction.on_commit(forget)


def shared() -> bool:
    """Whether every worker sees the same cache (Redis), so that a bump reaches them all at once."""
    from django.conf import settings

    return not str(settings.CACHES["default"]["BACKEND"]).endswith(("LocMemCache", "DummyCache"))


def _on_request_started(**kwargs: Any) -> None:
    _request_version.set({})
    _request_memo.set({})


def _on_request_finished(**kwargs: Any) -> None:
    _request_version.set(None)
    _request_memo.set(None)


def _on_batch_saved(**kwargs: Any) -> None:
    forget_version()


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from kam.ledger.models import ImportBatch

    request_started.connect(_on_request_started, dispatch_uid="kam.core.cache.started")
    request_finished.connect(_on_request_finished, dispatch_uid="kam.core.cache.finished")
    post_save.connect(_on_batch_saved, sender=ImportBatch, dispatch_uid="kam.core.cache.batch_saved")
    post_delete.connect(_on_batch_saved, sender=ImportBatch, dispatch_uid="kam.core.cache.batch_deleted")
