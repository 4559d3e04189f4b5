from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from kam.contracts import services
from kam.contracts.models import Claim, Clause, Contract


def contract(user, client, *, number: str = "D-1", days_left: int = 200, **extra: Any) -> Contract:
    today = timezone.localdate()
    data: dict[str, Any] = {
        "number": number,
        "title": "Supply agreement",
        "ends_on": today + timedelta(days=days_left),
        "status": "active",
        "renewal_notice_days": 30,
        "owner": client.owner,
    }
    data.update(extra)
    if "starts_on" not in extra:
        data["starts_on"] = data["ends_on"] - timedelta(days=365)
    return services.contract_create(user=user, client=client, data=data)


def clause(
    user, c: Contract, *, due_on: date | None, text: str = "Deliver the quarterly report", **extra
) -> Clause:
    return services.clause_add(
        user=user,
        contract=c,
        data={"text": text, "obligation_of": extra.pop("obligation_of", "us"), "due_on": due_on, **extra},
    )


def claim(user, client, *, subject: str = "Broken pallets", deadline: date | None = None, **extra) -> Claim:
    data: dict[str, Any] = {"kind": "claim", "subject": subject, "deadline": deadline, "status": "open"}
    data.update(extra)
    return services.claim_create(user=user, client=client, data=data)
