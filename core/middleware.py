import re
import uuid

from django.core.signals import request_finished
from django.dispatch import receiver

from .logging import request_id_var

# What a proxy's id looks like (nginx's $request_id is 32 hex digits); anything else is
# replaced, so a client cannot write arbitrary text into the logs.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives each request an id (the proxy's X-Request-ID when it sent a sane one), puts it
    in every log record of the request and sends it back in the X-Request-ID header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Kept until the response is finished: Django logs 4xx and 5xx after the middleware.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


@receiver(request_finished)
def _forget_request_id(**kwargs):
    request_id_var.set("")
