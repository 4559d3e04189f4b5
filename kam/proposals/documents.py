"""The proposal as a business document: a PDF by WeasyPrint with DejaVu fonts (Cyrillic), no web fonts."""

from __future__ import annotations

from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from kam.access.models import User

from . import selectors
from .models import Letterhead, Proposal, ProposalVersion


def file_name(proposal: Proposal, version: ProposalVersion) -> str:
    # ASCII only in the header: the number's "КП" is spelled out.
    return f"KP-{proposal.year}-{proposal.seq:04d}-v{version.number}.pdf"


def proposal_context(proposal: Proposal, version: ProposalVersion) -> dict[str, object]:
    lines = selectors.version_lines(version)
    quantity_units = {line.product.unit for line in lines}
    kam: User = proposal.kam
    return {
        "proposal": proposal,
        "version": version,
        "client": proposal.client,
        "lines": lines,
        "letterhead": Letterhead.current(),
        "kam": kam,
        "issued_on": timezone.localtime(version.sent_at).date() if version.sent_at else timezone.localdate(),
        "total_quantity": sum((line.quantity for line in lines), start=Decimal(0))
        if len(quantity_units) == 1
        else None,
        "list_total": sum((line.list_price * line.quantity for line in lines), start=Decimal(0)),
        "discount_total": sum((line.list_price * line.quantity for line in lines), start=Decimal(0))
        - version.total,
        "draft": version.sent_at is None,
    }


def proposal_html(proposal: Proposal, version: ProposalVersion) -> str:
    return render_to_string("proposals/proposal_pdf.html", proposal_context(proposal, version))


def proposal_pdf(proposal: Proposal, version: ProposalVersion) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=proposal_html(proposal, version)).write_pdf())
