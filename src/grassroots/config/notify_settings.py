"""Settings for notifications and background work, read from the environment.

Imported into settings.py (`from grassroots.config.notify_settings import *`).
grassroots.notify.conf falls back to these same values when settings.py does not
import them, so the defaults live here and only here.
"""

from __future__ import annotations

import os

from grassroots.config.env import env_bool, var_dir

# How an SMS leaves the system: "console" writes it to var/outbox.log (and the log),
# masked, and sends nothing; "webhook" POSTs it to an SMS gateway or a WeChat bridge.
GRASSROOTS_NOTIFY_SMS = os.environ.get("GRASSROOTS_NOTIFY_SMS", "console").strip().lower()
GRASSROOTS_NOTIFY_WEBHOOK_URL = os.environ.get("GRASSROOTS_NOTIFY_WEBHOOK_URL", "")
GRASSROOTS_NOTIFY_WEBHOOK_TOKEN = os.environ.get("GRASSROOTS_NOTIFY_WEBHOOK_TOKEN", "")
GRASSROOTS_NOTIFY_WEBHOOK_TIMEOUT = float(os.environ.get("GRASSROOTS_NOTIFY_WEBHOOK_TIMEOUT", "10"))
# Also e-mail users who have an address (through Django's e-mail backend, EMAIL_* below).
GRASSROOTS_NOTIFY_EMAIL = env_bool("GRASSROOTS_NOTIFY_EMAIL", default=False)
# Where the console channel writes; one line per message, phone numbers masked.
GRASSROOTS_NOTIFY_OUTBOX = os.environ.get("GRASSROOTS_NOTIFY_OUTBOX") or str(var_dir() / "outbox.log")
# Prefixed to the link paths in messages (e.g. https://grassroots.example.org); blank: paths only.
GRASSROOTS_NOTIFY_BASE_URL = os.environ.get("GRASSROOTS_NOTIFY_BASE_URL", "").rstrip("/")
# Retries: attempt n failing waits RETRY_SECONDS * 2**(n-1) (at most six hours); after
# MAX_ATTEMPTS the message is marked failed (kept, shown on the case, never deleted).
GRASSROOTS_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("GRASSROOTS_NOTIFY_MAX_ATTEMPTS", "8"))
GRASSROOTS_NOTIFY_RETRY_SECONDS = float(os.environ.get("GRASSROOTS_NOTIFY_RETRY_SECONDS", "60"))
# A queued message whose task has not run this long after it was due is queued again by the sweep.
GRASSROOTS_NOTIFY_RESCUE_SECONDS = float(os.environ.get("GRASSROOTS_NOTIFY_RESCUE_SECONDS", "300"))
# How often `grassroots worker` runs the periodic sweep (overdue cases, stuck messages).
GRASSROOTS_SWEEP_SECONDS = float(os.environ.get("GRASSROOTS_SWEEP_SECONDS", "60"))

DEFAULT_FROM_EMAIL = os.environ.get("GRASSROOTS_FROM_EMAIL", "grassroots@localhost")
EMAIL_SUBJECT_PREFIX = "[grassroots] "
EMAIL_HOST = os.environ.get("GRASSROOTS_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("GRASSROOTS_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("GRASSROOTS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("GRASSROOTS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("GRASSROOTS_EMAIL_TLS", default=False)
EMAIL_TIMEOUT = 20
# Without an SMTP host, e-mail is printed to the console instead of being sent.
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
