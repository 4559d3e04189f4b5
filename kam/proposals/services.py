"""Writes for commercial proposals: templates, creating, editing (new versions), sending, deciding, orders.

Prices follow the orders app exactly: the list price is the price of the proposal's column
(`column_price`), the line price is that less the chosen discount (`line_price`, rounded half-up to
kopecks), the amount is price × quantity rounded to kopecks, and the total is the sum of the amounts.
There is no VAT in the orders app, so there is none here either: amounts are the price-list amounts.

A KAM may give on their own a price down to the client's column less `OrderSettings.kam_max_discount`
(`kam_floor_price`); a proposal with a deeper discount is sent by the head or the director.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access import policy
from kam.access.models import User
from kam.clients.models import Client
from kam.core.money import format_money
from kam.orders import services as orders
from kam.orders.models import PRICE_COLUMNS, OrderSettings, Product

from .models import (
    NUMBER_PREFIX,
    Proposal,
    ProposalEvent,
    ProposalLine,
    ProposalStatus,
    ProposalTemplate,
    ProposalVersion,
)

S = ProposalStatus
CHANGE = "proposals.change_proposal"
DEFAULT_VALIDITY_DAYS = 14
MAX_TOTAL = Decimal(10) ** 16  # the amount fields hold 18 digits with kopecks

# from → the statuses a person may move it to (expiry is the system's, see `proposals_expire`).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.DRAFT: (S.SENT,),
    S.SENT: (S.ACCEPTED, S.REJECTED, S.DRAFT),  # back to draft = a new version
    S.EXPIRED: (S.DRAFT,),
    S.ACCEPTED: (),
    S.REJECTED: (),
}


def _label(status: str) -> str:
    return str(S(status).label)


def _require(actor: User, proposal_or_client: Proposal | Client) -> None:
    if not policy.can(actor, CHANGE, proposal_or_client):
        raise PermissionDenied(_("You may not change proposals of this client."))


def _lock(proposal_id: int) -> Proposal:
    proposal = Proposal.objects.select_for_update().select_related("client").filter(pk=proposal_id).first()
    if proposal is None:
        raise ValidationError(_("No such proposal."))
    return proposal


def _event(proposal: Proposal, to: str, *, actor: User | None, note: str = "", before: str = "") -> None:
    ProposalEvent.objects.create(
        proposal=proposal,
        version=proposal.version,
        from_status=before,
        to_status=to,
        actor=actor,
        note=note,
    )


def current_version(proposal: Proposal) -> ProposalVersion:
    return ProposalVersion.objects.get(proposal=proposal, number=proposal.version)


# --------------------------------------------------------------------------- templates


@transaction.atomic
def template_save(
    *,
    actor: User,
    template: ProposalTemplate | None = None,
    name: str,
    intro: str = "",
    terms: str = "",
    payment_terms: str = "",
    delivery_terms: str = "",
    validity_days: int = DEFAULT_VALIDITY_DAYS,
    active: bool = True,
) -> ProposalTemplate:
    if not policy.can(actor, "proposals.manage_templates"):
        raise PermissionDenied(_("You may not change proposal templates."))
    template = template or ProposalTemplate()
    template.name = name.strip()
    template.intro = intro.strip()
    template.terms = terms.strip()
    template.payment_terms = payment_terms.strip()
    template.delivery_terms = delivery_terms.strip()
    template.validity_days = validity_days
    template.active = active
    template.updated_by = actor
    template.full_clean()
    template.save()
    return template


# --------------------------------------------------------------------------- creating


def _next_number(year: int) -> tuple[int, str]:
    last = (
        Proposal.objects.select_for_update()
        .filter(year=year)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    ) or 0
    seq = last + 1
    return seq, f"{NUMBER_PREFIX}-{year}-{seq:04d}"


@transaction.atomic
def proposal_create(
    *,
    client: Client,
    actor: User,
    template: ProposalTemplate | None = None,
    column: int | None = None,
    opportunity: object | None = None,
    valid_until: date | None = None,
    today: date | None = None,
) -> Proposal:
    """A draft (version 1) for the client, with the template's texts and validity."""
    _require(actor, client)
    if template is not None and not template.active:
        raise ValidationError({"template": _("This template is no longer used.")})
    if opportunity is not None and getattr(opportunity, "client_id", None) != client.pk:
        raise ValidationError({"opportunity": _("The opportunity belongs to another client.")})
    column = column or client.price_column
    if not 1 <= column <= PRICE_COLUMNS:
        raise ValidationError({"column": _("The column must be from 1 to %(n)s.") % {"n": PRICE_COLUMNS}})
    day = today or timezone.localdate()
    days = template.validity_days if template else DEFAULT_VALIDITY_DAYS
    valid_until = valid_until or day + timedelta(days=days)
    if valid_until < day:
        raise ValidationError({"valid_until": _("The validity date is in the past.")})
    kam = actor if policy.is_kam(actor) else client.owner
    for attempt in range(3):
        try:
            with transaction.atomic():
                seq, number = _next_number(day.year)
                proposal = Proposal.objects.create(
                    number=number,
                    year=day.year,
                    seq=seq,
                    client=client,
                    kam=kam,
                    template=template,
                    opportunity=opportunity,  # type: ignore[misc]
                    valid_until=valid_until,
                    created_by=actor,
                )
        except IntegrityError:  # two proposals numbered at once: take the next number
            if attempt == 2:
                raise
            continue
        break
    ProposalVersion.objects.create(
        proposal=proposal,
        number=1,
        column=column,
        intro=template.intro if template else "",
        terms=template.terms if template else "",
        payment_terms=template.payment_terms if template else "",
        delivery_terms=template.delivery_terms if template else "",
        valid_until=valid_until,
        created_by=actor,
    )
    _event(proposal, S.DRAFT, actor=actor)
    return proposal


# --------------------------------------------------------------------------- editing and versions


def _copy_version(proposal: Proposal, source: ProposalVersion, actor: User) -> ProposalVersion:
    version = ProposalVersion.objects.create(
        proposal=proposal,
        number=source.number + 1,
        column=source.column,
        intro=source.intro,
        terms=source.terms,
        payment_terms=source.payment_terms,
        delivery_terms=source.delivery_terms,
        valid_until=source.valid_until,
        total=source.total,
        created_by=actor,
    )
    ProposalLine.objects.bulk_create(
        [
            ProposalLine(
                version=version,
                position=line.position,
                product_id=line.product_id,
                quantity=line.quantity,
                list_price=line.list_price,
                client_price=line.client_price,
                discount=line.discount,
                price=line.price,
                amount=line.amount,
            )
            for line in source.lines.all()
        ]
    )
    return version


def _editable(proposal_id: int, actor: User) -> tuple[Proposal, ProposalVersion]:
    """The version to change: the newest draft, or a new version when the newest went to the client."""
    proposal = _lock(proposal_id)
    _require(actor, proposal)
    version = current_version(proposal)
    if proposal.status == S.DRAFT and not version.locked:
        return proposal, version
    if proposal.status not in (S.SENT, S.EXPIRED):
        raise ValidationError(
            _("A proposal that is “%(status)s” can no longer be changed.")
            % {"status": _label(proposal.status)}
        )
    before = proposal.status
    version = _copy_version(proposal, version, actor)
    proposal.version = version.number
    proposal.status = S.DRAFT
    proposal.save(update_fields=["version", "status"])
    _event(
        proposal,
        S.DRAFT,
        actor=actor,
        before=before,
        note=_("Version %(n)s started.") % {"n": version.number},
    )
    return proposal, version


def _retotal(proposal: Proposal, version: ProposalVersion) -> None:
    version.total = version.lines.aggregate(t=Sum("amount"))["t"] or Decimal(0)
    if version.total >= MAX_TOTAL:
        raise ValidationError(_("The proposal's total is too large."))
    version.save(update_fields=["total"])
    proposal.total = version.total
    proposal.valid_until = version.valid_until
    proposal.save(update_fields=["total", "valid_until"])


@transaction.atomic
def proposal_revise(*, proposal_id: int, actor: User) -> ProposalVersion:
    """Start a new version of a sent or expired proposal (a draft is edited as it is)."""
    return _editable(proposal_id, actor)[1]


@transaction.atomic
def proposal_update(
    *,
    proposal_id: int,
    actor: User,
    column: int,
    valid_until: date,
    intro: str = "",
    terms: str = "",
    payment_terms: str = "",
    delivery_terms: str = "",
    today: date | None = None,
) -> ProposalVersion:
    """Change the terms and the column; lines are repriced from the column with their discounts kept."""
    proposal, version = _editable(proposal_id, actor)
    if not 1 <= column <= PRICE_COLUMNS:
        raise ValidationError({"column": _("The column must be from 1 to %(n)s.") % {"n": PRICE_COLUMNS}})
    if valid_until < (today or timezone.localdate()):
        raise ValidationError({"valid_until": _("The validity date is in the past.")})
    version.column = column
    version.valid_until = valid_until
    version.intro, version.terms = intro.strip(), terms.strip()
    version.payment_terms, version.delivery_terms = payment_terms.strip(), delivery_terms.strip()
    version.full_clean()
    version.save()
    for line in version.lines.select_related("product"):
        list_price = orders.column_price(line.product, column)
        if list_price is None:
            raise ValidationError(
                {
                    "column": _("%(product)s has no price in column %(column)s.")
                    % {"product": line.product.code, "column": column}
                }
            )
        line.list_price = list_price
        line.price = orders.line_price(list_price, line.discount)
        line.amount = orders.money(line.price * line.quantity)
        line.save(update_fields=["list_price", "price", "amount"])
    _retotal(proposal, version)
    return version


def _check_line(quantity: Decimal | None, discount: Decimal | None) -> None:
    if quantity is None or quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be above zero.")})
    if quantity != quantity.quantize(Decimal("0.001")):
        raise ValidationError({"quantity": _("At most three decimal places.")})
    if discount is None or not Decimal(0) <= discount < 100:
        raise ValidationError({"discount": _("The discount must be from 0 to 99.99 %.")})
    if discount != discount.quantize(Decimal("0.01")):
        raise ValidationError({"discount": _("At most two decimal places.")})


@transaction.atomic
def proposal_line_add(
    *,
    proposal_id: int,
    actor: User,
    product: Product,
    quantity: Decimal,
    discount: Decimal = Decimal(0),
) -> ProposalLine:
    proposal, version = _editable(proposal_id, actor)
    if not product.active:
        raise ValidationError({"product": _("This product is no longer sold.")})
    _check_line(quantity, discount)
    list_price = orders.column_price(product, version.column)
    if list_price is None:
        raise ValidationError(
            {
                "product": _("%(product)s has no price in column %(column)s.")
                % {"product": product.code, "column": version.column}
            }
        )
    client_price = orders.column_price(product, proposal.client.price_column)
    if client_price is None:
        client_price = list_price
    price = orders.line_price(list_price, discount)
    position = (version.lines.aggregate(m=Max("position"))["m"] or 0) + 1
    line = ProposalLine(
        version=version,
        position=position,
        product=product,
        quantity=quantity,
        list_price=list_price,
        client_price=client_price,
        discount=discount,
        price=price,
        amount=orders.money(price * quantity),
    )
    line.full_clean()
    line.save()
    _retotal(proposal, version)
    return line


@transaction.atomic
def proposal_line_change(
    *, proposal_id: int, actor: User, position: int, quantity: Decimal, discount: Decimal
) -> ProposalLine:
    """Change a line's quantity and discount (by position: a new version has new line ids)."""
    proposal, version = _editable(proposal_id, actor)
    _check_line(quantity, discount)
    line = version.lines.filter(position=position).first()
    if line is None:
        raise ValidationError(_("No such line in this proposal."))
    line.quantity, line.discount = quantity, discount
    line.price = orders.line_price(line.list_price, discount)
    line.amount = orders.money(line.price * quantity)
    line.full_clean()
    line.save(update_fields=["quantity", "discount", "price", "amount"])
    _retotal(proposal, version)
    return line


@transaction.atomic
def proposal_line_remove(*, proposal_id: int, actor: User, position: int) -> None:
    proposal, version = _editable(proposal_id, actor)
    deleted, _rows = version.lines.filter(position=position).delete()
    if not deleted:
        raise ValidationError(_("No such line in this proposal."))
    _retotal(proposal, version)


# --------------------------------------------------------------------------- status


def below_floor(version: ProposalVersion, config: OrderSettings | None = None) -> list[str]:
    """The lines priced below what a KAM may give on their own, in words."""
    config = config or OrderSettings.current()
    return orders.below_floor_grounds(version.lines.select_related("product"), config)


@transaction.atomic
def proposal_send(*, proposal_id: int, actor: User, today: date | None = None) -> Proposal:
    """The newest version goes to the client: it is locked from now on."""
    proposal = _lock(proposal_id)
    _require(actor, proposal)
    if proposal.status != S.DRAFT:
        raise ValidationError(
            _("A proposal that is “%(status)s” cannot be sent.") % {"status": _label(proposal.status)}
        )
    version = current_version(proposal)
    if not version.lines.exists():
        raise ValidationError(_("Add at least one line before sending."))
    if version.valid_until < (today or timezone.localdate()):
        raise ValidationError({"valid_until": _("The validity date is in the past.")})
    grounds = below_floor(version)
    if grounds and not (policy.is_head(actor) or policy.is_director(actor)):
        raise ValidationError(
            [*grounds, _("Lower the discount, or ask the head of the department to send this proposal.")]
        )
    now = timezone.now()
    version.sent_at, version.sent_by = now, actor
    version.save(update_fields=["sent_at", "sent_by"])
    proposal.status, proposal.sent_at = S.SENT, now
    proposal.save(update_fields=["status", "sent_at"])
    _event(proposal, S.SENT, actor=actor, before=S.DRAFT)
    return proposal


@transaction.atomic
def proposal_reject(*, proposal_id: int, actor: User, reason: str) -> Proposal:
    proposal = _lock(proposal_id)
    _require(actor, proposal)
    if proposal.status != S.SENT:
        raise ValidationError(
            _("Only a sent proposal can be rejected; this one is “%(status)s”.")
            % {"status": _label(proposal.status)}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Give the client's reason for rejecting.")})
    proposal.status, proposal.reject_reason, proposal.decided_at = S.REJECTED, reason.strip(), timezone.now()
    proposal.save(update_fields=["status", "reject_reason", "decided_at"])
    _event(proposal, S.REJECTED, actor=actor, before=S.SENT, note=reason.strip())
    return proposal


@transaction.atomic
def proposal_accept(
    *, proposal_id: int, actor: User, make_order: bool = True, today: date | None = None
) -> Proposal:
    """The client accepted the sent version (within its validity); the order is made from it when the
    actor takes orders for this client (a KAM or the head); otherwise it can be made later."""
    proposal = _lock(proposal_id)
    _require(actor, proposal)
    if proposal.status != S.SENT:
        raise ValidationError(
            _("Only a sent proposal can be accepted; this one is “%(status)s”.")
            % {"status": _label(proposal.status)}
        )
    if proposal.valid_until < (today or timezone.localdate()):
        raise ValidationError(
            _("The proposal was valid until %(date)s. Make a new version with a new date and send it.")
            % {"date": proposal.valid_until.strftime("%d.%m.%Y")}
        )
    proposal.status, proposal.decided_at = S.ACCEPTED, timezone.now()
    proposal.save(update_fields=["status", "decided_at"])
    _event(proposal, S.ACCEPTED, actor=actor, before=S.SENT)
    if make_order and policy.can(actor, orders.TAKE, proposal.client):
        _order_from(proposal, actor)
    return proposal


def _order_from(proposal: Proposal, actor: User) -> None:
    version = current_version(proposal)
    order = orders.order_create(
        client=proposal.client,
        actor=actor,
        column=version.column,
        note=_("From proposal %(number)s, version %(version)s.")
        % {"number": proposal.number, "version": version.number},
    )
    for line in version.lines.select_related("product").order_by("position", "pk"):
        made = orders.order_line_add(
            order_id=order.pk,
            actor=actor,
            product=line.product,
            quantity=line.quantity,
            discount=line.discount,
        )
        if made.price != line.price:
            raise ValidationError(
                _(
                    "The price list changed since the proposal was sent: %(product)s now costs %(now)s, "
                    "the proposal says %(then)s. Make the order by hand or a new version."
                )
                % {
                    "product": line.product.code,
                    "now": format_money(made.price),
                    "then": format_money(line.price),
                }
            )
    proposal.order = order
    proposal.save(update_fields=["order"])


@transaction.atomic
def proposal_make_order(*, proposal_id: int, actor: User) -> Proposal:
    """The order of an accepted proposal, when it was not made at acceptance."""
    proposal = _lock(proposal_id)
    if not policy.can(actor, orders.TAKE, proposal.client):
        raise PermissionDenied(_("You may not take orders for this client."))
    if proposal.status != S.ACCEPTED:
        raise ValidationError(_("Only an accepted proposal becomes an order."))
    if proposal.order_id is not None:
        raise ValidationError(_("The order of this proposal is made already."))
    _order_from(proposal, actor)
    return proposal


@dataclass
class ExpiryResult:
    expired: int


@transaction.atomic
def proposals_expire(*, today: date | None = None) -> ExpiryResult:
    """Sent proposals whose validity has passed become expired (the daily job)."""
    day = today or timezone.localdate()
    count = 0
    for proposal in Proposal.objects.select_for_update().filter(status=S.SENT, valid_until__lt=day):
        proposal.status = S.EXPIRED
        proposal.save(update_fields=["status"])
        _event(proposal, S.EXPIRED, actor=None, before=S.SENT)
        count += 1
    return ExpiryResult(count)


@transaction.atomic
def letterhead_save(
    *, actor: User, company_name: str, details: str = "", phone: str = "", email: str = ""
) -> None:
    if not policy.can(actor, "proposals.manage_templates"):
        raise PermissionDenied(_("You may not change the letterhead."))
    from .models import Letterhead

    head = Letterhead.current()
    head.company_name, head.details = company_name.strip(), details.strip()
    head.phone, head.email = phone.strip(), email.strip()
    head.full_clean()
    head.save()
