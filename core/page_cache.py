"""Private pages served again from the shared cache until the data they show changes.

A family reloads its account page, comes back to a calendar after opening a PDF: the same
page, built again from the same rows. Views that opt in (`CachedPageMixin`) keep the HTML
of a GET in the cache, per session, and serve it again while nothing it was built from has
changed. "Built from" is read off the SQL itself, so that no write can be forgotten:

- every statement goes through `record_statement` (a database execute wrapper, installed
  on each connection from `CoreConfig.ready`). A write (INSERT, UPDATE, DELETE, TRUNCATE)
  draws a new *generation* token for each table it names: at once outside a transaction,
  else when the transaction commits (one round trip for all its tables; until then its own
  connection neither serves nor stores a page built from them). A statement that is
  neither a plain read nor a write whose table is known (DDL, `WITH … UPDATE`, SQL given
  as an object) draws the token of `ANY_TABLE`, which every page depends on;
- while a page is built, each table it reads has its generation fetched *before* the
  query runs, and the page is stored with those generations. It is served again only while
  every one is unchanged. The models a page shows without a query (the logged-in guardian,
  family and structure, kept with the user in the cache; per-structure settings from
  `core.structure_cache`) are declared by the view (`page_cache_models`) or recorded by
  that module.

A page is stored only if it is an ordinary 200 that set no cookie, changed nothing in the
session and used no CSP nonce, and it is served only to the same session and family (its
CSRF token stays valid), in the same language, on the same day, by the same release of the
code and settings (`release`), with no message waiting and no query parameter the view
does not read. A write made behind Django's back (psql) is caught by the entries'
lifetime, `PAGE_CACHE_SECONDS`.

Only a cache every process shares (Redis, `settings.CACHE_IS_SHARED`) can do this: a
process-local one would not see the generations drawn by the others. Without it, pages are
built every time, as before.
"""

import contextvars
import functools
import hashlib
import json
import logging
import os
import re
import uuid
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpResponse
from django.utils import timezone

logger = logging.getLogger(__name__)

GENERATION_PREFIX = "table-generation:"
# A pseudo-table every page depends on, drawn by any statement whose tables are not known.
ANY_TABLE = "(any)"
PAGE_PREFIX = "private-page:"
RELEASE_SUFFIXES = frozenset({".py", ".html", ".txt", ".mo", ".css", ".js"})
RELEASE_SKIPPED_FOLDERS = frozenset(
    {".venv", "var", "tests", "bench", "node_modules", ".git", "staticfiles", "__pycache__"}
)
# Tables no page shows, written on most requests or logins: drawing generations for them
# would only cost a cache round trip.
UNSHOWN_TABLES = frozenset({"django_session", "axes_accessattempt", "axes_accesslog"})
# Session entries that change while a page stays the same (parents.middleware).
VOLATILE_SESSION_KEYS = frozenset({"last_activity"})

WRITE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?(?:\s|\(|$)',
    re.IGNORECASE,
)
TRUNCATE = re.compile(r"^\s*TRUNCATE\b", re.IGNORECASE)
# Statements that change no table row: transaction control, session settings, plain reads.
HARMLESS = re.compile(
    r"^[\s(]*(?:SELECT|VALUES|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|SET|SHOW|EXPLAIN|PRAGMA)\b",
    re.IGNORECASE,
)
READ_WITH = re.compile(
    r"^[\s(]*WITH\b(?!.*\b(?:INSERT|UPDATE|DELETE)\b)", re.IGNORECASE | re.DOTALL
)
TABLE_NAME = re.compile(r'"(\w+)"')
READ = re.compile(r'\b(?:FROM|JOIN)\s+"?(\w+)"?', re.IGNORECASE)

# The generations of the tables read by the page being built, or None outside one.
_recording = contextvars.ContextVar("page_cache_recording", default=None)


def tracking():
    """Whether writes draw generations: whenever the cache is shared, so that a process
    running with pages turned off (a batch, a worker) still ends the others' pages."""
    return settings.CACHE_IS_SHARED


def enabled():
    """Whether pages are stored and served."""
    return settings.CACHE_IS_SHARED and settings.PAGE_CACHE_SECONDS > 0


@functools.cache
def release():
    """A digest of the code, templates, translations and settings this process runs: pages
    rendered by another release (before a deployment, or a restart with new settings) are
    not served, whichever order the instances are restarted in."""
    digest = hashlib.sha256()
    root = Path(settings.BASE_DIR)
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d not in RELEASE_SKIPPED_FOLDERS)
        for name in sorted(files):
            path = Path(folder, name)
            if path.suffix in RELEASE_SUFFIXES:
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    for name in sorted(dir(settings)):
        if name.isupper():
            try:
                value = json.dumps(getattr(settings, name), sort_keys=True)
            except (TypeError, ValueError):
                continue  # an object: no stable text to compare
            digest.update(f"{name}={value}".encode())
    return digest.hexdigest()[:16]


def _new_token():
    return uuid.uuid4().hex


def _generation_key(table):
    return GENERATION_PREFIX + table


# --- Writes -----------------------------------------------------------------------------------


def written_tables(sql):
    """The tables a statement may change: none for a read, `ANY_TABLE` when not known."""
    if not isinstance(sql, str):
        return {ANY_TABLE}
    if HARMLESS.match(sql) or READ_WITH.match(sql):
        return set()
    match = WRITE.match(sql)
    if match and ";" not in sql.rstrip().rstrip(";"):
        return {match.group(1)}
    if TRUNCATE.match(sql):
        return set(TABLE_NAME.findall(sql))
    return {ANY_TABLE}


def draw_generations(tables):
    """New generation tokens for these tables: every page built from them is out of date.

    Never raises: the write is done. A cache that fails here fails for the pages too, and
    what it may still hold expires within PAGE_CACHE_SECONDS.
    """
    tables = set(tables) - UNSHOWN_TABLES
    if not tables:
        return
    try:
        cache.set_many({_generation_key(t): _new_token() for t in tables}, timeout=None)
    except Exception:  # noqa: BLE001 - see above
        logger.exception("Could not mark tables %s as changed in the cache", sorted(tables))


class _CommitBump:
    """The tables a transaction wrote, drawn again once it commits (one callback each)."""

    def __init__(self):
        self.tables = set()

    def __call__(self):
        draw_generations(self.tables)


def _pending(connection):
    """The tables the connection's open transaction wrote, or None."""
    pending = getattr(connection, "_page_cache_commit", None)
    # Ours is always first of the transaction's callbacks (`_after_commit`); one Django
    # dropped with a rolled-back transaction or savepoint is no longer there. Looked up in
    # constant time: a long transaction writes, and asks, at each statement.
    callbacks = connection.run_on_commit
    if pending is None or not callbacks or callbacks[0][1] is not pending:
        return None
    return pending


def _after_commit(connection, tables):
    pending = _pending(connection)
    if pending is None:
        pending = connection._page_cache_commit = _CommitBump()
        connection.on_commit(pending)
        # First of the transaction's callbacks: one that raises stops those after it.
        connection.run_on_commit.insert(0, connection.run_on_commit.pop())
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


def record_model(model):
    """For data a page shows without a query of its own (read from the cache)."""
    if _recording.get() is not None:
        _record([model._meta.db_table])


def record_statement(execute, sql, params, many, context):
    """The database execute wrapper: generations drawn on writes, recorded on reads."""
    if not tracking():
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


def page_key(request, owner, session_state):
    """The page for this session, its state and owner (the family), CSRF secret, language,
    address, day and release."""
    parts = [
        release(),
        str(owner),
        request.session.session_key or "",
        session_state,
        request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
        getattr(request, "LANGUAGE_CODE", ""),
        request.get_full_path(),
        timezone.localdate().isoformat(),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return PAGE_PREFIX + digest


def may_serve(request, params=()):
    return (
        enabled()
        and request.method in {"GET", "HEAD"}
        # Any other parameter would only make another copy of the same page.
        and set(request.GET) <= set(params)
        and CookieStorage.cookie_name not in request.COOKIES
        and request.session.session_key is not None
    )


def fetch(key):
    """The stored page if every table it was built from is unchanged, else None. It goes
    back through the view's decorators and the middleware, which add the same headers as
    to the page when it was built."""
    entry = cache.get(key)
    if entry is None:
        return None
    generations = entry["generations"]
    if _written_uncommitted(generations):
        return None
    current = cache.get_many([_generation_key(t) for t in generations])
    if any(current.get(_generation_key(t)) != token for t, token in generations.items()):
        return None
    return HttpResponse(entry["content"], content_type=entry["content_type"])


class CachedPageMixin:
    """A GET view whose page is kept per session until a table it read is written.

    `page_cache_models`: models (or "app.Model" labels) the page shows without querying
    them, e.g. the logged-in guardian's family, read from the user cache.
    `page_cache_owner()`: whose page it is (the family area: the guardian and family), part
    of the key with the session.
    """

    page_cache_seconds = None  # at most settings.PAGE_CACHE_SECONDS
    page_cache_params = ("page",)  # the query parameters the view reads

    def get(self, request, *args, **kwargs):
        if not may_serve(request, self.page_cache_params):
            return super().get(request, *args, **kwargs)
        owner = getattr(self, "page_cache_owner", None)
        session_state = _session_state(request.session)
        key = page_key(request, owner() if owner else request.user.pk, session_state)
        cached = fetch(key)
        if cached is not None:
            return cached
        recording = {}
        token = _recording.set(recording)
        try:
            _record([ANY_TABLE])
            for model in getattr(self, "page_cache_models", ()):
                record_model(apps.get_model(model) if isinstance(model, str) else model)
            response = super().get(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
        finally:
            _recording.reset(token)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and getattr(request, "_csp_nonce", None) is None
            and _session_state(request.session) == session_state
            and not _written_uncommitted(recording)
        ):
            timeout = min(
                self.page_cache_seconds or settings.PAGE_CACHE_SECONDS,
                settings.PAGE_CACHE_SECONDS,
            )
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
