"""Settings of the HTTP benchmark (bench/http.py): the production settings, unchanged, with
the benchmark's URLconf, which adds the hello-world yardstick next to the site's own URLs.
Everything else (database, plain-HTTP cookies, no HTTPS redirect) comes from the
environment bench/http.py gives gunicorn, as it would in a deployment.
"""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
