from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from catalogue.images import NAME_PATTERN
from catalogue.views import product_image
from syncapi.views import api_not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("syncapi.urls")),
    path("api/<path:rest>", api_not_found),
    re_path(rf"^{settings.MEDIA_URL.lstrip('/')}images/(?P<name>{NAME_PATTERN})$", product_image, name="product-image"),
    path("", include("frontend.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
