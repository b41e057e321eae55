"""Reusable parts of every screen that shows an impact (the catalogue page, the reveal)."""

from django import template
from django.utils.translation import get_language

from impacts import explanation

register = template.Library()


@register.inclusion_tag("impacts/_figures.html")
def impact_figures(figures, compact=False):
    return {"figures": figures, "compact": compact}


@register.inclusion_tag("impacts/_method.html")
def impact_method():
    return {
        "paragraphs": explanation.paragraphs(get_language() or "fr"),
        "method_url": explanation.METHOD_URL,
    }
