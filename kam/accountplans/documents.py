"""The account plan as a PDF for the client meeting (WeasyPrint, DejaVu Sans for Cyrillic).

Two copies: the client's (the default) leaves out what is only for us — weaknesses and threats,
margin targets, relationship goals and attitudes, the internal review; the internal copy has it all.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from . import selectors
from .models import AccountPlan, ObjectiveKind

CLIENT_COPY = "client"
INTERNAL_COPY = "internal"


def pdf_context(plan: AccountPlan, copy: str) -> dict[str, Any]:
    internal = copy == INTERNAL_COPY
    progress = selectors.plan_progress(plan)
    objectives = [row for row in progress.objectives if internal or row.kind != ObjectiveKind.MARGIN]
    return {
        "plan": plan,
        "client": plan.client,
        "internal": internal,
        "progress": progress,
        "objectives": objectives,
        "swot": selectors.swot(plan, internal=internal),
        "goals": selectors.goal_rows(plan) if internal else [],
        "actions": selectors.action_rows(plan),
    }


def plan_pdf(plan: AccountPlan, copy: str = CLIENT_COPY) -> bytes:
    from weasyprint import HTML

    html = render_to_string("accountplans/plan_pdf.html", pdf_context(plan, copy))
    return bytes(HTML(string=html).write_pdf())
