from django import template

from kam.health.presentation import LABELS

register = template.Library()


@register.filter
def health_label(name: str) -> str:
    """The translated label of a health component."""
    return str(LABELS.get(name, name))
