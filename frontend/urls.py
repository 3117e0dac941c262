from django.urls import path

from frontend import views

app_name = "frontend"

urlpatterns = [
    path("", views.shell, name="shell"),
    path("manifest.webmanifest", views.web_app_manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service-worker"),
]
