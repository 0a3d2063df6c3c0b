"""Settings of the bare floor: `django-admin startproject`'s middleware and apps, PostgreSQL or SQLite from the environment.

Nothing of Qinqing is imported: this is what any Django 5.2 + ninja project costs per request when it
is served by gunicorn with synchronous workers and keeps one database connection per worker.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

SECRET_KEY = "bench-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]
MIDDLEWARE = [  # startproject's list
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "bench.bare_floor.urls"
WSGI_APPLICATION = "bench.bare_floor.wsgi.application"
_url = os.environ.get("DATABASE_URL", "")
DATABASES = {"default": dj_database_url.parse(_url, conn_max_age=600) if _url else {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": str(Path(os.environ.get("BARE_FLOOR_SQLITE", "bare_floor.sqlite3"))),
}}
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
