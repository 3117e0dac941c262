"""Product pictures' renditions, served from their storage with a one-year immutable lifetime."""

from django.conf import settings
from django.http import FileResponse, JsonResponse
from django.views.decorators.http import require_safe

from catalogue.images import image_storage


@require_safe
def product_image(request, name: str):
    """A rendition by its content-addressed name (the URL pattern admits only such names).

    Its bytes never change under its name, so browsers and caches may keep it
    a year without asking again.
    """
    try:
        file = image_storage().open(name)
    except FileNotFoundError:
        return JsonResponse({"code": "image_not_found", "detail": "No picture has this name."}, status=404)
    response = FileResponse(file, content_type="image/webp")
    response["Cache-Control"] = settings.IMMUTABLE
    return response
