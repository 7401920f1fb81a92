import io
import json
import logging

import pytest

from core.logging import JsonFormatter, RequestIdFilter
from tests.config.test_settings import FERNET_KEY, run_manage

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    """The django.request logger written as production writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def test_each_response_carries_a_new_request_id(client):
    first = client.get("/sante/vivant/")["X-Request-ID"]
    second = client.get("/sante/vivant/")["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_the_proxys_request_id_is_kept_and_a_strange_one_replaced(client):
    response = client.get("/sante/vivant/", headers={"X-Request-ID": "0123456789abcdef0123"})
    assert response["X-Request-ID"] == "0123456789abcdef0123"
    response = client.get("/sante/vivant/", headers={"X-Request-ID": "evil\nline injected"})
    assert response["X-Request-ID"] != "evil\nline injected"
    assert len(response["X-Request-ID"]) == 32


def test_log_lines_are_json_with_the_request_id(client, json_log):
    response = client.get("/espace-famille/factures/999999/pdf/nope/")
    assert response.status_code == 404
    line = json.loads(json_log.getvalue().splitlines()[-1])
    assert line["request_id"] == response["X-Request-ID"]
    assert line["level"] == "WARNING"
    assert line["logger"] == "django.request"
    assert line["message"].startswith("Not Found")
    assert line["request"] == "/espace-famille/factures/999999/pdf/nope/"
    assert line["status_code"] == 404


def test_production_logs_json_and_reports_errors_without_personal_data():
    script = (
        "import logging, sentry_sdk; from django.conf import settings; "
        "print(settings.LOGGING['handlers']['console']['formatter']); "
        "client = sentry_sdk.get_client(); "
        "print(client.is_active(), client.options['send_default_pii'])"
    )
    result = run_manage(
        "shell",
        "-c",
        script,
        SECRET_KEY="x" * 20 + "production-secret-from-the-environment-" + "y" * 20,
        DJANGO_ALLOWED_HOSTS="portail.example.org",
        FAMILY_FILE_ENCRYPTION_KEYS=FERNET_KEY,
        SENTRY_DSN="http://public@127.0.0.1:9/1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == ["json", "True", "False"]
