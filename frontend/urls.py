from django.urls import path

from frontend.views import HomeView

app_name = "frontend"

urlpatterns = [path("", HomeView.as_view(), name="home")]
