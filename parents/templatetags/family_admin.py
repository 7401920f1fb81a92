from django import template

from ..family_links import family_admin_links as links_for

register = template.Library()


@register.simple_tag(takes_context=True)
def family_admin_links(context, family):
    return links_for(context["request"].user, family)
