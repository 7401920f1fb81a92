"""The server's own copy of public pages seen anonymously, purged when content changes.

Pages every anonymous visitor gets alike (marked `request.cache_publicly`, see
home.middleware) are kept in the shared cache for PUBLIC_CACHE_MAX_AGE seconds and served
from it without touching the database or the session. Each copy's key carries a
generation token; any change to pages, documents, images, redirects, collections, view
restrictions or structures draws a new token, so every copy is purged at once. With Redis
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
    """Only anonymous GETs without personal cookies: anything else may differ per visitor."""
    if request.method != "GET" or settings.PUBLIC_CACHE_MAX_AGE <= 0:
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and not any(
        name in cookies for name in PERSONAL_COOKIES
    )


def cache_key(request):
    language = translation.get_language_from_request(request)
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(address.encode()).hexdigest()
    return f"public-page:{generation()}:{language}:{digest}"


def fetch(request):
    key = cache_key(request)
    request.public_cache_key = key
    return cache.get(key)


def store(request, response):
    key = getattr(request, "public_cache_key", None)
    if key and not response.streaming:
        cache.set(key, response, timeout=settings.PUBLIC_CACHE_MAX_AGE)
