"""Private pages served again from the shared cache until the data they show changes.

A family reloads its account page, comes back to a calendar after opening a PDF: the same
page, built again from the same rows. Views that opt in (`CachedPageMixin`) keep the HTML
of a GET in the cache, per session, and serve it again while nothing it was built from has
changed. "Built from" is read off the SQL itself, so that no write can be forgotten:

- every statement goes through `record_statement` (a database execute wrapper, installed
  on each connection from `CoreConfig.ready`). A write (INSERT, UPDATE, DELETE, TRUNCATE)
  draws a new *generation* token for each table it names: at once outside a transaction,
  else when the transaction commits (one round trip for all its tables; until then its own
  connection neither serves nor stores a page built from them);
- while a page is built, each table it reads has its generation fetched *before* the
  query runs, and the page is stored with those generations. It is served again only while
  every one is unchanged. The models a page shows without a query (the logged-in guardian,
  family and structure, kept with the user in the cache; per-structure settings from
  `core.structure_cache`) are declared by the view (`page_cache_models`) or recorded by
  that module.

A page is stored only if it is an ordinary 200 that set no cookie, changed nothing in the
session and used no CSP nonce, and it is served only to the same session (its CSRF token
stays valid), in the same language, on the same day, with no message waiting. A write made
behind Django's back (psql) is caught by the entries' lifetime, `PAGE_CACHE_SECONDS`.

Only a cache every process shares (Redis, `settings.CACHE_IS_SHARED`) can do this: a
process-local one would not see the generations drawn by the others. Without it, pages are
built every time, as before.
"""

import contextvars
import hashlib
import json
import re
import uuid

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

GENERATION_PREFIX = "table-generation:"
# A pseudo-table every page depends on, drawn again by each `migrate` (every deployment runs
# it): a page rendered by the previous release's templates and code is not served again.
RELEASE = "(release)"
PAGE_PREFIX = "private-page:"
# Tables no page shows, written on most requests or logins: drawing generations for them
# would only cost a cache round trip.
UNSHOWN_TABLES = frozenset({"django_session", "axes_accessattempt", "axes_accesslog"})
# Session entries that change while a page stays the same (parents.middleware).
VOLATILE_SESSION_KEYS = frozenset({"last_activity"})

WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
TRUNCATE = re.compile(r"^\s*TRUNCATE\b", re.IGNORECASE)
TABLE_NAME = re.compile(r'"(\w+)"')
READ = re.compile(r'\b(?:FROM|JOIN)\s+"?(\w+)"?', re.IGNORECASE)

# The generations of the tables read by the page being built, or None outside one.
_recording = contextvars.ContextVar("page_cache_recording", default=None)


def enabled():
    return settings.CACHE_IS_SHARED and settings.PAGE_CACHE_SECONDS > 0


def _new_token():
    return uuid.uuid4().hex


def _generation_key(table):
    return GENERATION_PREFIX + table


# --- Writes -----------------------------------------------------------------------------------


def written_tables(sql):
    match = WRITE.match(sql)
    if match:
        return {match.group(1)}
    if TRUNCATE.match(sql):
        return set(TABLE_NAME.findall(sql))
    return set()


def draw_generations(tables):
    """New generation tokens for these tables: every page built from them is out of date."""
    tables = set(tables) - UNSHOWN_TABLES
    if tables:
        cache.set_many({_generation_key(t): _new_token() for t in tables}, timeout=None)


class _CommitBump:
    """The tables a transaction wrote, drawn again once it commits (one callback each)."""

    def __init__(self):
        self.tables = set()

    def __call__(self):
        draw_generations(self.tables)


def _pending(connection):
    """The tables the connection's open transaction wrote, or None."""
    pending = getattr(connection, "_page_cache_commit", None)
    # A callback Django dropped with a rolled-back transaction is no longer in its list.
    if pending is None or not any(item[1] is pending for item in connection.run_on_commit):
        return None
    return pending


def _after_commit(connection, tables):
    pending = _pending(connection)
    if pending is None:
        pending = connection._page_cache_commit = _CommitBump()
        # Robust: the transaction has committed; a cache failure then is logged, not raised.
        connection.on_commit(pending, robust=True)
    pending.tables |= tables


def _written_uncommitted(tables):
    """Whether this thread's open transaction wrote any of these tables."""
    pending = _pending(connections[DEFAULT_DB_ALIAS])
    return pending is not None and not pending.tables.isdisjoint(tables)


# --- Reads ------------------------------------------------------------------------------------


def _record(tables):
    """Fetch, before the rows are read, the generations of the tables not yet recorded."""
    recording = _recording.get()
    missing = [t for t in tables if t not in recording and t not in UNSHOWN_TABLES]
    if not missing:
        return
    keys = [_generation_key(t) for t in missing]
    found = cache.get_many(keys)
    for table, key in zip(missing, keys, strict=True):
        token = found.get(key)
        if token is None:
            # No generation yet (never written since the cache started, or evicted).
            token = _new_token()
            if not cache.add(key, token, timeout=None):
                token = cache.get(key)
        recording[table] = token


def new_release(**kwargs):
    """`post_migrate` receiver: pages of the previous release are not served again."""
    if enabled():
        draw_generations({RELEASE})


def record_model(model):
    """For data a page shows without a query of its own (read from the cache)."""
    if _recording.get() is not None:
        _record([model._meta.db_table])


def record_statement(execute, sql, params, many, context):
    """The database execute wrapper: generations drawn on writes, recorded on reads."""
    if not isinstance(sql, str) or not enabled():
        return execute(sql, params, many, context)
    written = written_tables(sql)
    if written:
        result = execute(sql, params, many, context)
        connection = context["connection"]
        if connection.in_atomic_block:
            _after_commit(connection, written)
        else:
            draw_generations(written)
        return result
    if _recording.get() is not None:
        _record(set(READ.findall(sql)))
    return execute(sql, params, many, context)


def install(connection, **kwargs):
    """`connection_created` receiver: the wrapper on every connection, once."""
    if record_statement not in connection.execute_wrappers:
        connection.execute_wrappers.append(record_statement)


def install_on_open_connections():
    for connection in connections.all(initialized_only=True):
        install(connection)


# --- Pages ------------------------------------------------------------------------------------


def _session_state(session):
    data = {k: v for k, v in session.items() if k not in VOLATILE_SESSION_KEYS}
    return json.dumps(data, sort_keys=True, default=str)


def page_key(request):
    """The page for this session, its state, CSRF secret, language, address and day."""
    parts = [
        request.session.session_key or "",
        _session_state(request.session),
        request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
        getattr(request, "LANGUAGE_CODE", ""),
        request.get_full_path(),
        timezone.localdate().isoformat(),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return PAGE_PREFIX + digest


def may_serve(request):
    return (
        enabled()
        and request.method in {"GET", "HEAD"}
        and CookieStorage.cookie_name not in request.COOKIES
        and request.session.session_key is not None
    )


def fetch(key):
    """The stored page if every table it was built from is unchanged, else None."""
    entry = cache.get(key)
    if entry is None:
        return None
    generations = entry["generations"]
    if _written_uncommitted(generations):
        return None
    current = cache.get_many([_generation_key(t) for t in generations])
    if any(current.get(_generation_key(t)) != token for t, token in generations.items()):
        return None
    response = HttpResponse(entry["content"], content_type=entry["content_type"])
    add_never_cache_headers(response)
    return response


def build(request, key, render, timeout):
    """Build the page with `render()` (which must render it), storing it when it may be."""
    session_before = _session_state(request.session)
    recording = {}
    token = _recording.set(recording)
    try:
        _record([RELEASE])
        response = render()
    finally:
        _recording.reset(token)
    if (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and getattr(request, "_csp_nonce", None) is None
        and _session_state(request.session) == session_before
        and not _written_uncommitted(recording)
    ):
        cache.set(
            key,
            {
                "generations": recording,
                "content": response.content,
                "content_type": response["Content-Type"],
            },
            timeout,
        )
    return response


class CachedPageMixin:
    """A GET view whose page is kept per session until a table it read is written.

    `page_cache_models`: models (or "app.Model" labels) the page shows without querying
    them, e.g. the logged-in guardian's family, read from the user cache.
    """

    page_cache_seconds = None  # settings.PAGE_CACHE_SECONDS unless set

    def get(self, request, *args, **kwargs):
        if not may_serve(request):
            return super().get(request, *args, **kwargs)
        key = page_key(request)
        cached = fetch(key)
        if cached is not None:
            return cached
        timeout = self.page_cache_seconds or settings.PAGE_CACHE_SECONDS

        def render():
            from django.apps import apps

            for model in getattr(self, "page_cache_models", ()):
                record_model(apps.get_model(model) if isinstance(model, str) else model)
            response = super(CachedPageMixin, self).get(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
            return response

        return build(request, key, render, timeout)
