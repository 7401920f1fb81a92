from django.conf import settings
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from billing.online_payment.views import stripe_webhook
from forms_library.views import serve_document
from home.api import api_router

urlpatterns = [
    # The second-factor pages sit under /admin/ but before Wagtail's own routes.
    path("admin/2fa/", include("parents.otp_urls")),
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

if settings.DEBUG:
    from django.conf.urls.static import static

    from forms_library.views import not_served

    # Documents are only ever sent by the serve view above, after the privacy check.
    urlpatterns += [re_path(rf"^{settings.MEDIA_URL.lstrip('/')}documents/", not_served)]
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
