"""Write the load test's fixture: demo logins per role, clients each may see, and fresh API tokens.

    DATABASE_URL=... .venv/bin/python benchmarks/loadtest/prepare.py OUT.json [--kams 50] [--api-users 10]

Run by scripts/loadtest.sh before locust starts. The simulated users only ask for clients they may see
(policy.visible_clients), so a 403/404 in the results is a real error. API tokens are issued with the
name "loadtest"; the ones of an earlier run are revoked first, so tokens do not pile up.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOKEN_NAME = "loadtest"
CLIENTS_PER_USER = 40


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--kams", type=int, default=20, help="KAM logins to use at most (spread over all)")
    parser.add_argument("--api-users", type=int, default=10, help="KAMs that get an API token")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

    from django.utils import timezone

    from kam.access import policy
    from kam.access.models import ApiToken, Role, User
    from kam.core import demo

    rng = random.Random(args.seed)
    logins = set(demo.all_demo_logins())
    users = list(User.objects.filter(username__in=logins, is_active=True).order_by("id"))
    if not users:
        print("prepare: no demo logins in this database (run manage.py demo)", file=sys.stderr)
        return 2

    def sample_clients(user: User) -> list[dict[str, object]]:
        visible = policy.visible_clients(user)
        ids = list(visible.values_list("id", flat=True)[:5000])
        chosen = sorted(rng.sample(ids, min(CLIENTS_PER_USER, len(ids))))
        rows = visible.filter(id__in=chosen).values_list("id", "short_name")
        return [{"id": pk, "name": name} for pk, name in rows]

    fixture: dict[str, object] = {"password": demo.DEMO_PASSWORD, "roles": {}, "api": []}
    roles: dict[str, list[dict[str, object]]] = {"kam": [], "head": [], "director": []}
    kams = [u for u in users if u.role == Role.KAM]
    step = max(1, len(kams) // max(1, args.kams))
    picked_kams = kams[::step][: args.kams]
    for user in picked_kams:
        clients = sample_clients(user)
        if clients:
            roles["kam"].append({"login": user.username, "clients": clients})
    for role, key in ((Role.HEAD, "head"), (Role.DIRECTOR, "director")):
        for user in (u for u in users if u.role == role):
            roles[key].append({"login": user.username, "clients": sample_clients(user)})
    fixture["roles"] = roles

    ApiToken.objects.filter(name=TOKEN_NAME, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api: list[dict[str, object]] = []
    for entry in roles["kam"][: args.api_users]:
        user = next(u for u in picked_kams if u.username == entry["login"])
        _token, raw = ApiToken.issue(user, TOKEN_NAME)
        api.append({"login": user.username, "token": raw, "clients": entry["clients"]})
    fixture["api"] = api

    Path(args.out).write_text(json.dumps(fixture, ensure_ascii=False, indent=1), encoding="utf-8")
    print(
        f"prepare: {len(roles['kam'])} KAMs, {len(roles['head'])} heads, {len(roles['director'])} directors, "
        f"{len(api)} API tokens -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
