"""Settings for the test suite: fast hashing, same database engines as production."""

import os
import tempfile

os.environ.setdefault("EQUIPAGE_DATA_DIR", tempfile.mkdtemp(prefix="equipage-test-"))

from equipage.settings import *  # noqa: F403
from equipage.settings import DATA_DIR, DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EQUIPAGE_BASE_URL = "http://testserver"
EQUIPAGE_BASE_URL_FIXED = True
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory: concurrency tests need real connections from several threads.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
