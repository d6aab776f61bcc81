"""Interface strings of the libraries we run, translated in our own catalogue.

Django 6.1 added strings its Chinese catalogue does not have yet ("Filter by …", "- Select an
option -"), and django-axes and django-tasks-db ship no Chinese at all, so the admin showed them
in English. Django looks a string up in our catalogue (LOCALE_PATHS) before theirs, so listing the
msgids here lets `makemessages` keep them in ours, translated; nothing calls this module.
"""

from django.utils.translation import gettext_noop

STRINGS = [
    # Django 6.1
    gettext_noop("Filter by %(field_name)s"),
    gettext_noop("- Select an option -"),
    # django-axes: the sign-in attempts an administrator reads
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Time"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Logout Time"),
    gettext_noop("POST Data"),
    gettext_noop("Path"),
    gettext_noop("User Agent"),
    gettext_noop("Username"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Form Data"),
    gettext_noop("Locked Out"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    # django-tasks-db: the background tasks
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("task path"),
    gettext_noop("queue name"),
    gettext_noop("priority"),
    gettext_noop("status"),
    gettext_noop("worker id"),
]
