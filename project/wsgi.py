"""WSGI entry point (gunicorn project.wsgi)."""

import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

application = get_wsgi_application()
import_module(settings.ROOT_URLCONF)  # the views and what they import, which Django loads at the first request

# What is loaded by now (Django, the apps, their modules) lives as long as the process: moved out of
# the collector's reach, a full collection walks only what requests made since, not the whole heap
# (tens of milliseconds that stop every thread; docs/decisions/0015-collector-after-start-up.md).
gc.freeze()
