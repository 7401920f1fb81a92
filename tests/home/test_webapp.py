"""The installable web app: manifest, icons, service worker and offline page."""

import json

from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils.html import escapejs

import pytest
from PIL import Image

pytestmark = pytest.mark.django_db


def test_every_page_links_the_manifest_and_the_theme_colour(parent_client):
    for response in (
        Client().get(reverse("parents:login")),
        parent_client.get(reverse("billing:account")),
    ):
        content = response.content.decode()
        assert f'<link rel="manifest" href="{reverse("home:manifest")}">' in content
        assert '<meta name="theme-color" content="#083f5e">' in content


def test_the_manifest_installs_the_family_area(client):
    response = client.get(reverse("home:manifest"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Portail Familles"
    assert manifest["start_url"] == reverse("parents:home") == "/espace-famille/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#083f5e"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert sizes == {
        ("192x192", "any"),
        ("512x512", "any"),
        ("192x192", "maskable"),
        ("512x512", "maskable"),
    }
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png"
        path = finders.find(icon["src"].removeprefix("/static/"))
        width, height = (int(n) for n in icon["sizes"].split("x"))
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.size == (width, height)


def test_the_service_worker_is_served_at_the_root_and_keeps_nothing_private(client):
    response = client.get(reverse("home:service-worker"))
    assert reverse("home:service-worker") == "/service-worker.js"
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    script = response.content.decode()
    # What it keeps: static files and the offline page; pages go to the network only.
    assert '"/static/css/site.css"' in script
    assert f'var OFFLINE_URL = "{escapejs(reverse("home:offline"))}"' in script
    assert 'var STATIC_PREFIX = "/static/"' in script
    assert 'request.mode === "navigate"' in script
    assert script.count("cache.put(") == 1
    assert "/espace-famille/" not in script
    assert not response.cookies


def test_the_offline_page_is_the_same_for_everyone(parent_client):
    url = reverse("home:offline")
    anonymous = Client().get(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert anonymous.status_code == 200
    assert "Vous êtes hors ligne" in anonymous.content.decode()
    assert not anonymous.cookies
    assert "csrfmiddlewaretoken" not in anonymous.content.decode()
    parent = parent_client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert "DUPONT" not in parent.content.decode()
