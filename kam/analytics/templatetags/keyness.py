"""Saying in words why a client is key (the six definitions of the sources)."""

from typing import Any

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kam.core.money import format_money, format_percent

register = template.Library()


def _kop(value: Any) -> str:
    return format_money(int(value), kopecks=True, digits=0) if value is not None else "—"


def reason_text(reason: dict[str, Any]) -> str:
    code, f = reason.get("code"), reason.get("figures", {})
    if code == "share":
        text = _("%(share)s of the company's basis (key from %(threshold)s)") % {
            "share": format_percent(f.get("share")),
            "threshold": format_percent(f.get("threshold"), 0),
        }
        if f.get("mono"):
            text += " — " + _("mono-client")
        elif f.get("critical"):
            text += " — " + _("critical dependence")
        return text
    if code == "absolute":
        return _("%(annual)s a year, at least the absolute threshold %(threshold)s") % {
            "annual": _kop(f.get("annual_basis")),
            "threshold": _kop(f.get("threshold")),
        }
    if code == "potential":
        npv = _("NPV of the expected margin %(npv)s") % {"npv": _kop(f.get("npv"))}
        if f.get("category_budget") is None:
            return _("potential: %(npv)s") % {"npv": npv}
        return _("potential: wallet left %(wallet)s of a budget of %(budget)s; %(npv)s") % {
            "wallet": _kop(f.get("wallet_left")),
            "budget": _kop(f.get("category_budget")),
            "npv": npv,
        }
    labels = {
        "reference": _("well-known reference client"),
        "partner": _("partner: shares its plans"),
        "competent": _("more competent client: we learn from it"),
        "innovator": _("innovator: tries our new products first"),
    }
    return labels.get(str(code), str(code))


@register.filter
def why_key(reasons: list[dict[str, Any]] | None) -> SafeString:
    if not reasons:
        return SafeString("")
    return format_html_join("", "<li>{}</li>", ((reason_text(r),) for r in reasons))


MOVE_CLASSES = {
    "became_key": "key",
    "no_longer_key": "mono",
    "entered_a": "key",
    "left_a": "critical",
    "became_critical": "mono",
    "dependence_grew": "critical",
}


@register.filter
def move_badges(moves: list[str] | None) -> SafeString:
    if not moves:
        return SafeString("")
    labels = {
        "became_key": _("became key"),
        "no_longer_key": _("no longer key"),
        "entered_a": _("entered A"),
        "left_a": _("left A"),
        "became_critical": _("critical dependence"),
        "dependence_grew": _("dependence grew"),
    }
    return format_html_join(
        " ", '<span class="flag {}">{}</span>', ((MOVE_CLASSES[m], labels[m]) for m in moves if m in labels)
    )


@register.filter
def basis_label(basis: str) -> str:
    return _("turnover") if basis == "turnover" else _("income")


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key) if mapping else None
