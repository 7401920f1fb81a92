"""The site's URLs plus a hello-world view, the yardstick of bench/http.py: what Django and
gunicorn cost on this machine with no work of ours, measured in the same run as the pages.
"""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def hello_world(request):
    return HttpResponse(b"Hello, world", content_type="text/plain")


urlpatterns = [path("__bench__/hello/", hello_world), *site_urlpatterns]
