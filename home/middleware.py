from django.conf import settings
from django.utils.cache import patch_cache_control, patch_vary_headers

from . import public_cache


class PublicCacheMiddleware:
    """Lets shared caches keep what every visitor would get alike, for PUBLIC_CACHE_MAX_AGE.

    Views opt in by setting `request.cache_publicly` (public pages seen anonymously, the
    content API, public documents). The header is added here, outside the session and CSRF
    middleware, because only then is it known whether the response sets a cookie: one that
    does is never declared public, whatever the view said. A Cache-Control header set by the
    view itself is left alone.

    Such responses are also kept by the server itself (home.public_cache), and served from
    there to anonymous visitors until content changes.
    """

    CACHEABLE_STATUSES = {200, 304}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if public_cache.may_use_cache(request):
            cached = public_cache.fetch(request)
            if cached is not None:
                return cached
        response = self.get_response(request)
        if (
            getattr(request, "cache_publicly", False)
            and request.method in {"GET", "HEAD"}
            and response.status_code in self.CACHEABLE_STATUSES
            and not response.cookies
            and not response.has_header("Cache-Control")
        ):
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_MAX_AGE)
            # A logged-in visitor's copy must not be served to others, nor the reverse.
            patch_vary_headers(response, ["Cookie"])
            if response.status_code == 200:
                public_cache.store(request, response)
        return response
