"""The public, read-only content API (Wagtail API v2) at /api/v2/.

It answers the same to everybody, so that responses can be cached and shared: no
authentication is read, only live pages outside any view restriction are listed, and only
documents and images of public collections. Anything else is a 404, even by id.
"""

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet

from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer

from .views import public_collection_members

# Beyond this, SQL OFFSET overflows the database's integer (a 500); no listing is that long.
MAX_OFFSET = 10**9


class PublicAPIMixin:
    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    def paginate_queryset(self, queryset):
        offset = self.request.GET.get("offset", "0")
        if offset.isascii() and offset.isdigit() and int(offset) > MAX_OFFSET:
            raise BadRequestError(f"offset must be at most {MAX_OFFSET}")
        return super().paginate_queryset(queryset)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200:
            # Applied by the public cache middleware, once the response's cookies are known.
            request._request.cache_publicly = True
        # Public, read-only and without credentials: any site may read it from a browser.
        response["Access-Control-Allow-Origin"] = "*"
        return response


class PublicPagesAPIViewSet(PublicAPIMixin, PagesAPIViewSet):
    def get_base_queryset(self):
        # Wagtail's queryset lets in restricted pages the requester may see; here nobody does.
        return super().get_base_queryset().public()


class PublicDocumentsAPIViewSet(PublicAPIMixin, DocumentsAPIViewSet):
    def get_queryset(self):
        return public_collection_members(super().get_queryset())


class PublicImagesAPIViewSet(PublicAPIMixin, ImagesAPIViewSet):
    def get_queryset(self):
        return public_collection_members(super().get_queryset())


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PublicPagesAPIViewSet)
api_router.register_endpoint("documents", PublicDocumentsAPIViewSet)
api_router.register_endpoint("images", PublicImagesAPIViewSet)
