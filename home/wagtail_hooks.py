from wagtail import hooks


@hooks.register("before_serve_page")
def cache_public_pages(page, request, serve_args, serve_kwargs):
    """A page outside any view restriction, seen by an anonymous visitor, is the same for
    everybody: let shared caches keep it (see home.middleware.PublicCacheMiddleware)."""
    if not request.user.is_authenticated and not page.get_view_restrictions().exists():
        request.cache_publicly = True
