from django.views.generic import TemplateView


class HomeView(TemplateView):
    """The app's entry page; the offline PWA shell replaces it in the next release."""

    template_name = "frontend/index.html"
