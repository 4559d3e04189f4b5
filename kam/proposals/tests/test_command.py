from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from kam.proposals import services
from kam.proposals.models import Proposal, ProposalStatus

pytestmark = pytest.mark.django_db


def test_the_daily_command_expires_sent_proposals_past_their_date(company, catalogue):
    today = timezone.localdate()
    proposal = services.proposal_create(client=company.alice_client, actor=company.alice, valid_until=today)
    services.proposal_line_add(
        proposal_id=proposal.pk, actor=company.alice, product=catalogue.brick, quantity=Decimal(1)
    )
    services.proposal_send(proposal_id=proposal.pk, actor=company.alice)
    draft = services.proposal_create(client=company.alice_client, actor=company.alice, valid_until=today)
    Proposal.objects.filter(pk__in=[proposal.pk, draft.pk]).update(valid_until=today - timedelta(days=1))
    out = StringIO()
    call_command("expire_proposals", stdout=out)
    assert "1 proposal(s) expired" in out.getvalue()
    proposal.refresh_from_db()
    draft.refresh_from_db()
    assert proposal.status == ProposalStatus.EXPIRED
    assert draft.status == ProposalStatus.DRAFT  # a draft never went out, so it does not expire
    last = proposal.events.last()
    assert last is not None and last.to_status == ProposalStatus.EXPIRED and last.actor is None
