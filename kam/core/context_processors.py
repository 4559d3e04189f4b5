from typing import Any

from django.http import HttpRequest

from kam.access import policy

MENUS: dict[str, tuple[str, ...]] = {
    "sales": ("orders", "proposals", "tenders", "promotions"),
    "accounts": ("analysis", "account_plans", "health", "segments"),
    "finance": ("receivables", "contracts"),
    "admin": ("import", "deputies", "audit", "users"),
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    flags: dict[str, Any] = {
        "nav_can_audit": policy.can(user, "access.view_audit"),
        "nav_can_deputies": policy.can(user, "access.manage_deputies"),
        "nav_can_users": policy.can(user, "access.manage_users"),
        "nav_can_analysis": policy.can(user, "analytics.view_report"),
        "nav_can_import": policy.can(user, "ledger.import_ledger"),
        "nav_can_plans": policy.can(user, "planning.view_plans"),
        "nav_can_schedule": policy.can(user, "activities.view_schedule"),
        "nav_can_orders": policy.can(user, "orders.view_orders"),
        "nav_can_receivables": policy.can(user, "receivables.view_receivables"),
        "nav_can_pipeline": policy.can(user, "pipeline.view_pipeline"),
        "nav_can_contracts": policy.can(user, "contracts.view_contracts"),
        "nav_can_proposals": policy.can(user, "proposals.view_proposals"),
        "nav_can_tenders": policy.can(user, "tenders.view_tenders"),
        "nav_can_promotions": policy.can(user, "promotions.view_promotions"),
        "nav_can_segments": policy.can(user, "segments.view_segments"),
        "nav_can_account_plans": policy.can(user, "accountplans.view_plans"),
        "nav_can_health": policy.can(user, "health.view_health"),
    }
    # A menu shows only when at least one of its links is allowed.
    for menu, links in MENUS.items():
        flags[f"nav_menu_{menu}"] = any(flags[f"nav_can_{link}"] for link in links)
    return flags
