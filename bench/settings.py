"""Settings for the benchmark: the production settings, plus the baseline views' URLs (bench/urls.py).

The environment is the production one with throttling off (a benchmark must never meet a 429) and plain HTTP
(requests are made in-process, without TLS); bench/run.py sets these variables before Django starts.
"""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("THROTTLING_ENABLED", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage")

from registry.settings import *  # noqa: E402,F403

ROOT_URLCONF = "bench.urls"
