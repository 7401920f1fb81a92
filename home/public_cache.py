"""The server's own copy of public pages seen anonymously, purged when content changes.

Pages every anonymous visitor gets alike (marked `request.cache_publicly`, see
home.middleware) are kept in the shared cache for PUBLIC_CACHE_MAX_AGE seconds and served
from it without touching the database or the session. Each copy is stored with the
generation token current when it was rendered; any change to pages, documents, images,
redirects, collections, view restrictions or structures draws a new token, so every copy
is purged at once. With Redis
(REDIS_URL) every worker sees the new token immediately; with the local in-memory cache
other workers keep their copies at most PUBLIC_CACHE_MAX_AGE seconds, as the shared caches
in front of the site already may (the pages are sent `Cache-Control: public`).
"""

import hashlib
import uuid

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

GENERATION_KEY = "public-pages:generation"
# Apps whose rows public pages show; a change to any of them purges every copy.
CONTENT_APPS = {
    "wagtailcore",
    "wagtaildocs",
    "wagtailimages",
    "wagtailredirects",
    "home",
    "forms_library",
}
CONTENT_MODELS = {("parents", "structure"), ("parents", "association")}
# Cookies that may change what a page shows (a logged-in session, pending messages).
PERSONAL_COOKIES = ("messages",)


def generation():
    token = cache.get(GENERATION_KEY)
    if token is None:
        # A fresh token, never a fixed default: after an eviction an old one must not return.
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        token = cache.get(GENERATION_KEY)
    return token


def purge_public_pages():
    """Forget every stored public page (a new generation token)."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def is_content(model):
    meta = model._meta
    return meta.app_label in CONTENT_APPS or (meta.app_label, meta.model_name) in CONTENT_MODELS


def on_content_changed(sender, **kwargs):
    if is_content(sender):
        purge_public_pages()


def may_use_cache(request):
    """Only anonymous GETs without personal cookies, of paths stored before by this process:
    any other request (a family page, the admin, a login) pays nothing for the store."""
    if request.method != "GET" or settings.PUBLIC_CACHE_MAX_AGE <= 0:
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or any(name in cookies for name in PERSONAL_COOKIES):
        return False
    request.public_cache_eligible = True
    return request.path in _public_paths


# Paths this process has stored a public page for. Another process may have stored one this
# process has not seen yet: it then renders the page once and stores it again.
_public_paths = set()
MAX_PUBLIC_PATHS = 10_000


def page_key(request):
    language = translation.get_language_from_request(request)
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(address.encode()).hexdigest()
    return f"public-page:{language}:{digest}"


def fetch(request):
    """The stored response, if stored under the current generation (one cache round trip)."""
    key = page_key(request)
    found = cache.get_many([GENERATION_KEY, key])
    token, stored = found.get(GENERATION_KEY), found.get(key)
    if token is None or stored is None or stored[0] != token:
        return None
    return stored[1]


def store(request, response):
    if getattr(request, "public_cache_eligible", False) and not response.streaming:
        cache.set(
            page_key(request), (generation(), response), timeout=settings.PUBLIC_CACHE_MAX_AGE
        )
        if len(_public_paths) >= MAX_PUBLIC_PATHS:
            _public_paths.clear()
        _public_paths.add(request.path)
