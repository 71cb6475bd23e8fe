"""Settings for the test suite: fast hashing, same database engines as production."""

from equipage.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EQUIPAGE_BASE_URL = "http://testserver"
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
