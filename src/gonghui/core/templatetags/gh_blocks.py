"""``{% load gh_blocks %}``: ``{% render_block "title" %}`` renders a block of the page being
rendered a second time (Django allows each block once per template), so the H5 header bar shows
the page's ``{% block title %}`` without every page repeating it."""

from __future__ import annotations

from django import template
from django.template.context import Context
from django.template.loader_tags import BLOCK_CONTEXT_KEY, BlockNode
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def render_block(context: Context, name: str) -> SafeString | str:
    block_context = context.render_context.get(BLOCK_CONTEXT_KEY)
    if block_context is None:
        return ""
    found = block_context.get_block(name)
    if found is None:
        return ""
    node = BlockNode(found.name, found.nodelist)
    node.context = context  # type: ignore[attr-defined]
    with context.push(block=node):
        return node.nodelist.render(context)
