from django import template

from wagtail.models import Site

register = template.Library()


@register.inclusion_tag("home/includes/accessibility.html", takes_context=True)
def accessibility_mention(context):
    """ "Accessibilité : partiellement conforme", linking to the statement, as the French
    accessibility framework asks of every page; the level is set on the site's home page."""
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    home = site.root_page.specific if site else None
    compliance = getattr(home, "get_accessibility_compliance_display", None)
    statement = getattr(home, "accessibility_page", None)
    return {
        "compliance": compliance() if compliance else None,
        "statement_url": statement.url if statement and statement.live else None,
    }
