"""`{% opportunity_proposals opportunity as proposals %}`: the proposals of an opportunity the user may see
(used by the opportunity page of kam.pipeline through `proposals/_opportunity.html`)."""

from typing import Any

from django import template

from kam.access import policy

from .. import widgets

register = template.Library()


@register.simple_tag(takes_context=True)
def opportunity_proposals(context: dict[str, Any], opportunity: Any) -> dict[str, Any]:
    user = context["request"].user
    if opportunity is None or not policy.can(user, "proposals.view_proposals", opportunity.client):
        return {"shown": False}
    return {
        "shown": True,
        "rows": widgets.opportunity_proposals(user, opportunity),
        "can_add": policy.can(user, "proposals.change_proposal", opportunity.client),
    }
