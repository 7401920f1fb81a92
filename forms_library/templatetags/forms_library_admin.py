from django import template

from ..publication import document_publication as publication_of

register = template.Library()


@register.simple_tag(takes_context=True)
def document_publication(context, document):
    return publication_of(context["request"].user, document)
