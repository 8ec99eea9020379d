"""Settings for the test suite: production settings with a throwaway key and plain HTTP.

The suite runs the production configuration on purpose; only what a test client cannot do (HTTPS, a real
secret, collected static files) is relaxed here.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-key-not-for-any-deployment-0123456789abcdef")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Each test process is one registry process: its local-memory cache may hold the data version.
os.environ.setdefault("SINGLE_PROCESS", "1")
# The suite makes many requests from one address; the throttling tests set their own low rate.
os.environ.setdefault("ANON_THROTTLE_RATE", "100000/minute")

from registry.settings import *  # noqa: E402,F403
from registry.settings import DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Serve static files from the apps, as in development: the suite does not run collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A replica alias that mirrors the test database, so the router is tested against a real second alias.
# Reads stay on the primary (the suite's tests run inside transactions the replica cannot see) except in
# tests/test_replicas.py, which turns REPLICA_READS on with committed data.
DATABASES["replica_0"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
REPLICA_READS = False
