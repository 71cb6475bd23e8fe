"""WSGI entry point used by ``equipage serve``."""

import os

from django.core.wsgi import get_wsgi_application

from equipage.ops.metrics import use_shared_directory

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "equipage.settings")
# Imported once by the server before it forks: its processes share one metrics directory.
use_shared_directory()
application = get_wsgi_application()
