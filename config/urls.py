from django.conf import settings
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from billing.online_payment.views import stripe_webhook
from forms_library.admin_scoping import scoped_bulk_action
from forms_library.views import serve_document, serve_media
from home.api import api_router
from parents.views import AdminLogoutView, StaffPasswordResetView

urlpatterns = [
    # Health checks for the proxy and monitoring (no session, no private data).
    path("sante/", include("operations.urls")),
    # The second-factor pages sit under /admin/ but before Wagtail's own routes.
    path("admin/2fa/", include("parents.otp_urls")),
    # Before Wagtail's own logout, which drops the cookie on a GET but keeps the session.
    path("admin/logout/", AdminLogoutView.as_view(), name="wagtailadmin_logout"),
    # Reports narrowed to the user's structures (site history) or kept for superusers.
    path("admin/reports/", include("parents.report_urls")),
    # Bulk actions list only the pages, documents and images the user may see.
    path(
        "admin/bulk/<str:app_label>/<str:model_name>/<str:action>/",
        scoped_bulk_action,
        name="wagtail_bulk_action",
    ),
    # Wagtail's "forgotten password", throttled (its form is set in settings: staff only).
    path(
        "admin/password_reset/",
        StaffPasswordResetView.as_view(),
        name="wagtailadmin_password_reset",
    ),
    path("admin/", include(wagtailadmin_urls)),
    # Wagtail's document serve view, wrapped to send caching headers that follow privacy.
    re_path(r"^documents/(\d+)/(.*)$", serve_document, name="document-serve"),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v2/", api_router.urls),
    # Billing and library pages of the family area first: they replace the shell's placeholders.
    path("espace-famille/", include("billing.urls")),
    path("espace-famille/", include("reservations.urls")),
    path("espace-famille/", include("forms_library.urls")),
    path("espace-famille/", include("family_file.urls")),
    path("espace-famille/", include("parents.urls")),
    path("paiement/stripe/webhook/", stripe_webhook, name="stripe-webhook"),
    # Public pages carry the language form without a CSRF token (a token would set a cookie on
    # every response and keep shared caches from storing them); changing one's display
    # language is all a forged request could do.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("home.urls")),
]

# Every environment: images are sent by the application after their collection's rule
# (documents by their own serve view); the web server must not serve MEDIA_ROOT itself.
urlpatterns += [
    re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.+)$", serve_media, name="media-serve"),
    path("", include(wagtail_urls)),
]
