"""Settings for notifications and background work, read from the environment.

Imported into settings.py (`from grassroots.config.notify_settings import *`).
grassroots.notify.conf falls back to these same values when settings.py does not
import them, so the defaults live here and only here.
"""

from __future__ import annotations

import os

from grassroots.config.env import env_bool, production, var_dir

__all__ = [
    "DEFAULT_FROM_EMAIL",
    "EMAIL_SUBJECT_PREFIX",
    "GRASSROOTS_ALIYUN_ACCESS_KEY_ID",
    "GRASSROOTS_ALIYUN_ACCESS_KEY_SECRET",
    "GRASSROOTS_ALIYUN_SMS_ENDPOINT",
    "GRASSROOTS_NOTIFY_EMAIL",
    "GRASSROOTS_NOTIFY_MAX_ATTEMPTS",
    "GRASSROOTS_NOTIFY_OUTBOX",
    "GRASSROOTS_NOTIFY_RESCUE_SECONDS",
    "GRASSROOTS_NOTIFY_RETRY_SECONDS",
    "GRASSROOTS_NOTIFY_SMS",
    "GRASSROOTS_NOTIFY_WEBHOOK_TIMEOUT",
    "GRASSROOTS_NOTIFY_WEBHOOK_TOKEN",
    "GRASSROOTS_NOTIFY_WEBHOOK_URL",
    "GRASSROOTS_PUBLIC_URL",
    "GRASSROOTS_SMS_PER_PHONE_HOUR",
    "GRASSROOTS_SMS_RECEIPT_TOKEN",
    "GRASSROOTS_SMS_SIGN_NAME",
    "GRASSROOTS_SMS_TEMPLATES",
    "GRASSROOTS_SWEEP_SECONDS",
    "GRASSROOTS_TENCENT_SECRET_ID",
    "GRASSROOTS_TENCENT_SECRET_KEY",
    "GRASSROOTS_TENCENT_SMS_APP_ID",
    "GRASSROOTS_TENCENT_SMS_ENDPOINT",
    "GRASSROOTS_TENCENT_SMS_REGION",
    "GRASSROOTS_WECHAT_API_URL",
    "GRASSROOTS_WECHAT_APP_ID",
    "GRASSROOTS_WECHAT_APP_SECRET",
    "GRASSROOTS_WECHAT_COMMUNITY",
    "GRASSROOTS_WECHAT_ENCODING_AES_KEY",
    "GRASSROOTS_WECHAT_TEMPLATES",
    "GRASSROOTS_WECHAT_THREAD_HOURS",
    "GRASSROOTS_WECHAT_TOKEN",
    "GRASSROOTS_WECOM_REASONS",
    "GRASSROOTS_WECOM_ROBOT_KEY",
    "GRASSROOTS_WECOM_ROBOT_URL",
    "GRASSROOTS_WECOM_SUMMARY_HOUR",
    "MAILERS",
]

# How an SMS leaves the system: "console" writes it to var/outbox.log (and the log),
# masked, and sends nothing; "webhook" POSTs it to an SMS gateway or a WeChat bridge;
# "aliyun" and "tencent" send through Alibaba Cloud SMS or Tencent Cloud SMS (docs/channels.md).
GRASSROOTS_NOTIFY_SMS = os.environ.get("GRASSROOTS_NOTIFY_SMS", "console").strip().lower()
GRASSROOTS_NOTIFY_WEBHOOK_URL = os.environ.get("GRASSROOTS_NOTIFY_WEBHOOK_URL", "")
GRASSROOTS_NOTIFY_WEBHOOK_TOKEN = os.environ.get("GRASSROOTS_NOTIFY_WEBHOOK_TOKEN", "")
GRASSROOTS_NOTIFY_WEBHOOK_TIMEOUT = float(os.environ.get("GRASSROOTS_NOTIFY_WEBHOOK_TIMEOUT", "10"))
# Also e-mail users who have an address (through Django's e-mail backend, EMAIL_* below).
GRASSROOTS_NOTIFY_EMAIL = env_bool("GRASSROOTS_NOTIFY_EMAIL", default=False)
# Where the console channel writes; one line per message, phone numbers masked.
GRASSROOTS_NOTIFY_OUTBOX = os.environ.get("GRASSROOTS_NOTIFY_OUTBOX") or str(var_dir() / "outbox.log")
# Where people reach this installation from outside (https://grassroots.example.org): every link
# in a message is built on it, since an SMS cannot hold a relative link. The default suits the demo
# on this machine; `grassroots check --deploy` warns while it still points at the local machine.
# GRASSROOTS_NOTIFY_BASE_URL is its former name, still read when the new one is unset.
DEMO_PUBLIC_URL = "http://127.0.0.1:8000"
GRASSROOTS_PUBLIC_URL = (
    os.environ.get("GRASSROOTS_PUBLIC_URL") or os.environ.get("GRASSROOTS_NOTIFY_BASE_URL") or DEMO_PUBLIC_URL
).rstrip("/")
# Retries: attempt n failing waits RETRY_SECONDS * 2**(n-1) (at most six hours); after
# MAX_ATTEMPTS the message is marked failed (kept, shown on the case, never deleted).
GRASSROOTS_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("GRASSROOTS_NOTIFY_MAX_ATTEMPTS", "8"))
GRASSROOTS_NOTIFY_RETRY_SECONDS = float(os.environ.get("GRASSROOTS_NOTIFY_RETRY_SECONDS", "60"))
# A queued message whose task has not run this long after it was due is queued again by the sweep.
GRASSROOTS_NOTIFY_RESCUE_SECONDS = float(os.environ.get("GRASSROOTS_NOTIFY_RESCUE_SECONDS", "300"))
# How often `grassroots worker` runs the periodic sweep (overdue cases, stuck messages).
GRASSROOTS_SWEEP_SECONDS = float(os.environ.get("GRASSROOTS_SWEEP_SECONDS", "60"))

# SMS gateways (docs/channels.md). Secrets come from the environment only.
# The approved signature (签名) and, per message reason, the approved template and its parameters:
# JSON {"registered": {"code": "SMS_123", "params": {"number": "case", "link": "link"}}, ...};
# a parameter's source is "case" (the case number), "link" (the message's link), "community".
GRASSROOTS_SMS_SIGN_NAME = os.environ.get("GRASSROOTS_SMS_SIGN_NAME", "")
GRASSROOTS_SMS_TEMPLATES = os.environ.get("GRASSROOTS_SMS_TEMPLATES", "")
# The secret part of the delivery-receipt URLs (/notifications/receipts/<provider>/<token>/).
GRASSROOTS_SMS_RECEIPT_TOKEN = os.environ.get("GRASSROOTS_SMS_RECEIPT_TOKEN", "")
# At most this many SMS to one phone in one clock hour; more wait for the next hour.
GRASSROOTS_SMS_PER_PHONE_HOUR = int(os.environ.get("GRASSROOTS_SMS_PER_PHONE_HOUR", "5"))
GRASSROOTS_ALIYUN_ACCESS_KEY_ID = os.environ.get("GRASSROOTS_ALIYUN_ACCESS_KEY_ID", "")
GRASSROOTS_ALIYUN_ACCESS_KEY_SECRET = os.environ.get("GRASSROOTS_ALIYUN_ACCESS_KEY_SECRET", "")
GRASSROOTS_ALIYUN_SMS_ENDPOINT = os.environ.get(
    "GRASSROOTS_ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"
)
GRASSROOTS_TENCENT_SECRET_ID = os.environ.get("GRASSROOTS_TENCENT_SECRET_ID", "")
GRASSROOTS_TENCENT_SECRET_KEY = os.environ.get("GRASSROOTS_TENCENT_SECRET_KEY", "")
GRASSROOTS_TENCENT_SMS_APP_ID = os.environ.get("GRASSROOTS_TENCENT_SMS_APP_ID", "")
GRASSROOTS_TENCENT_SMS_REGION = os.environ.get("GRASSROOTS_TENCENT_SMS_REGION", "ap-guangzhou")
GRASSROOTS_TENCENT_SMS_ENDPOINT = os.environ.get(
    "GRASSROOTS_TENCENT_SMS_ENDPOINT", "https://sms.tencentcloudapi.com/"
)
# A WeCom (企业微信) group robot: its key (from the robot's webhook address), the message reasons
# posted to the group, and the local hour after which the daily summary is posted (-1: never).
GRASSROOTS_WECOM_ROBOT_KEY = os.environ.get("GRASSROOTS_WECOM_ROBOT_KEY", "")
GRASSROOTS_WECOM_ROBOT_URL = os.environ.get(
    "GRASSROOTS_WECOM_ROBOT_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
)
GRASSROOTS_WECOM_REASONS = tuple(
    reason.strip()
    for reason in os.environ.get("GRASSROOTS_WECOM_REASONS", "urged,overdue,whistled,summary").split(",")
    if reason.strip()
)
GRASSROOTS_WECOM_SUMMARY_HOUR = int(os.environ.get("GRASSROOTS_WECOM_SUMMARY_HOUR", "18"))

# The WeChat Official Account (公众号, docs/channels.md): its AppID and AppSecret (the API), the
# server configuration's Token and EncodingAESKey (the callback; with the key set, only the safe,
# encrypted mode is accepted), the community whose residents follow it (its code), the approved
# template per message reason (JSON {"registered": {"id": "...", "data": {"keyword1": "case"}}}),
# and how long after a follower's last message a new one still adds to their open case.
GRASSROOTS_WECHAT_APP_ID = os.environ.get("GRASSROOTS_WECHAT_APP_ID", "")
GRASSROOTS_WECHAT_APP_SECRET = os.environ.get("GRASSROOTS_WECHAT_APP_SECRET", "")
GRASSROOTS_WECHAT_TOKEN = os.environ.get("GRASSROOTS_WECHAT_TOKEN", "")
GRASSROOTS_WECHAT_ENCODING_AES_KEY = os.environ.get("GRASSROOTS_WECHAT_ENCODING_AES_KEY", "")
GRASSROOTS_WECHAT_COMMUNITY = os.environ.get("GRASSROOTS_WECHAT_COMMUNITY", "")
GRASSROOTS_WECHAT_TEMPLATES = os.environ.get("GRASSROOTS_WECHAT_TEMPLATES", "")
GRASSROOTS_WECHAT_THREAD_HOURS = float(os.environ.get("GRASSROOTS_WECHAT_THREAD_HOURS", "2"))
GRASSROOTS_WECHAT_API_URL = os.environ.get("GRASSROOTS_WECHAT_API_URL", "https://api.weixin.qq.com").rstrip(
    "/"
)

DEFAULT_FROM_EMAIL = os.environ.get("GRASSROOTS_FROM_EMAIL", "grassroots@localhost")
EMAIL_SUBJECT_PREFIX = "[grassroots] "
# E-mail through Django 6.1's MAILERS. In production, SMTP: to GRASSROOTS_EMAIL_HOST, or to the
# machine's own mail server (localhost:25, as Django always defaulted) when it is not set; a
# message that cannot be handed over fails and is retried like an SMS. The demo and debug print
# e-mail to the console (nothing is sent) unless GRASSROOTS_EMAIL_HOST is set: never in
# production, where the console is the log and a message body may name a resident.
# Do not also set the deprecated EMAIL_HOST/EMAIL_BACKEND settings.
_EMAIL_HOST = os.environ.get("GRASSROOTS_EMAIL_HOST", "")
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _EMAIL_HOST or "localhost",
                "port": int(os.environ.get("GRASSROOTS_EMAIL_PORT", "25")),
                "username": os.environ.get("GRASSROOTS_EMAIL_USER", ""),
                "password": os.environ.get("GRASSROOTS_EMAIL_PASSWORD", ""),
                "use_tls": env_bool("GRASSROOTS_EMAIL_TLS", default=False),
                "timeout": 20,
            },
        }
        if _EMAIL_HOST or production()
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}
