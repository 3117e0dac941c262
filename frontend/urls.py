from django.urls import path, re_path

from frontend import views
from frontend.routes import APP_PATHS

app_name = "frontend"

urlpatterns = [
    path("", views.shell, name="shell"),
    re_path(rf"^{APP_PATHS}$", views.shell, name="app-route"),  # a shared link to a product, a category...
    path("manifest.webmanifest", views.web_app_manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service-worker"),
]
