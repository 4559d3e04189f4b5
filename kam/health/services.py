"""Writes of account health: computing daily snapshots with early warnings, the settings, page runs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Client

from . import scoring, selectors
from .models import AlertKind, HealthAlert, HealthConfig, HealthRun, HealthSnapshot, RunStatus

CHUNK = 200


def _alerts_for(snapshot: HealthSnapshot, config: HealthConfig) -> list[HealthAlert]:
    """A key client's score fell below the limit (it was at or above it, or new), or dropped by ≥ N points."""
    if not snapshot.is_key:
        return []
    alerts = []
    previous = snapshot.previous_score
    if snapshot.score < config.alert_below and (previous is None or previous >= config.alert_below):
        alerts.append(AlertKind.BELOW)
    if previous is not None and previous - snapshot.score >= config.alert_drop:
        alerts.append(AlertKind.DROP)
    return [
        HealthAlert(
            client_id=snapshot.client_id,
            day=snapshot.day,
            kind=kind,
            score=snapshot.score,
            previous_score=previous,
        )
        for kind in alerts
    ]


@transaction.atomic
def _compute_chunk(client_ids: list[int], key_ids: set[int], day: date, config: HealthConfig) -> int:
    facts = selectors.facts_for(client_ids, day, config)
    before = (
        HealthSnapshot.objects.filter(client=OuterRef("pk"), day__lt=day).order_by("-day").values("score")[:1]
    )
    previous = dict(
        Client.objects.filter(pk__in=client_ids).annotate(prev=Subquery(before)).values_list("pk", "prev")
    )
    snapshots = []
    for client_id in client_ids:
        score, band, components = scoring.evaluate(facts[client_id], config)
        snapshots.append(
            HealthSnapshot(
                client_id=client_id,
                day=day,
                score=score,
                band=band,
                previous_score=previous.get(client_id),
                is_key=client_id in key_ids,
                components=components,
            )
        )
    # Recomputing a day replaces that day's snapshots and warnings.
    HealthSnapshot.objects.filter(client_id__in=client_ids, day=day).delete()
    HealthAlert.objects.filter(client_id__in=client_ids, day=day).delete()
    HealthSnapshot.objects.bulk_create(snapshots)
    HealthAlert.objects.bulk_create([a for s in snapshots for a in _alerts_for(s, config)])
    newest = HealthSnapshot.objects.filter(client=OuterRef("pk")).order_by("-day").values("pk")[:1]
    latest_ids = Client.objects.filter(pk__in=client_ids).annotate(latest=Subquery(newest)).values("latest")
    HealthSnapshot.objects.filter(client_id__in=client_ids, is_latest=True).update(is_latest=False)
    HealthSnapshot.objects.filter(pk__in=latest_ids).update(is_latest=True)
    return len(snapshots)


def compute_health(
    *, day: date | None = None, client_ids: list[int] | None = None, run: HealthRun | None = None
) -> int:
    """Score the key clients of the latest analysis (or the given clients) on `day`; returns how many.

    Set-based: a constant number of aggregate queries per chunk of 200 clients, whatever the ledger's size.
    """
    day = day or timezone.localdate()
    config = HealthConfig.current()
    key_ids = set(selectors.key_client_ids())
    ids = sorted(key_ids) if client_ids is None else sorted(set(client_ids))
    if run is not None:
        HealthRun.objects.filter(pk=run.pk).update(total=len(ids), done=0)
    done = 0
    for start in range(0, len(ids), CHUNK):
        done += _compute_chunk(ids[start : start + CHUNK], key_ids, day, config)
        if run is not None:
            HealthRun.objects.filter(pk=run.pk).update(done=done)
    return done


def run_start(*, actor: User) -> HealthRun:
    if not policy.can(actor, "health.compute_all"):
        raise PermissionDenied
    # A run that started an hour ago and never finished died with its process: it blocks no one.
    stale = timezone.now() - timedelta(hours=1)
    HealthRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=stale).update(
        status=RunStatus.FAILED, error="interrupted", finished_at=timezone.now()
    )
    if HealthRun.objects.filter(status=RunStatus.RUNNING).exists():
        raise ValidationError(_("A health computation is already running; wait for it to finish."))
    return HealthRun.objects.create(started_by=actor, day=timezone.localdate())


def run_compute(run_id: int) -> None:
    """The background part of a page run: records its progress and its end (or its failure)."""
    run = HealthRun.objects.get(pk=run_id)
    try:
        compute_health(day=run.day, run=run)
    except Exception as error:  # recorded for the page, then re-raised for the log
        HealthRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        raise
    HealthRun.objects.filter(pk=run_id).update(status=RunStatus.DONE, finished_at=timezone.now())


def compute_client(*, actor: User, client: Client) -> HealthSnapshot:
    """Score one client the actor may see, now (any visible client, key or not)."""
    if not policy.can(actor, "health.compute_client", client):
        raise PermissionDenied
    day = timezone.localdate()
    compute_health(day=day, client_ids=[client.pk])
    return HealthSnapshot.objects.get(client=client, day=day)


@transaction.atomic
def config_update(*, actor: User, **fields: Any) -> HealthConfig:
    if not policy.can(actor, "health.change_settings"):
        raise PermissionDenied
    config = HealthConfig.objects.select_for_update().get(pk=HealthConfig.current().pk)
    for name, value in fields.items():
        setattr(config, name, value)
    config.updated_by = actor
    config.full_clean()
    config.save()
    return config
