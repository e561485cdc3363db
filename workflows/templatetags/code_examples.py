"""Help texts that show a template to write (``{{ args.callback }}``) show it as code,
so it reads as an example to copy, not as a piece of page left unrendered."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

EXAMPLE = re.compile(r"(\{\{.*?\}\}|\{%.*?%\})")


@register.filter
def code_examples(text):
    parts = EXAMPLE.split(str(text or ""))
    return mark_safe(  # noqa: S308 - every part is escaped here
        "".join(f"<code>{escape(p)}</code>" if i % 2 else escape(p) for i, p in enumerate(parts))
    )
