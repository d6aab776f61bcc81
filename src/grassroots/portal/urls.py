"""The resident portal, mounted at /portal/: public pages, each marked @login_not_required in the view."""

from django.urls import path

from grassroots.portal import serving, task
from grassroots.portal import views as portal

urlpatterns = [
    path("", portal.portal_home, name="portal-home"),
    path("report/", portal.portal_report, name="portal-report"),
    path("report/questions/", portal.portal_questions, name="portal-questions"),
    path("follow/", portal.portal_follow, name="portal-follow"),
    # The follow form under the name older messages linked to.
    path("track/", portal.portal_follow, name="portal-track"),
    # The link in messages to the reporter (notify): the case's own random token opens it.
    path("follow/<str:token>/", portal.portal_follow_link, name="portal-follow-link"),
    # A serving party member reports to the community (the office's link and QR code lead here).
    path("serving/<str:code>/", serving.serving_report, name="portal-serving"),
    # The one-tap link in the SMS to a summoned party without an account (cases.links).
    path("t/<str:secret>/", task.portal_task, name="portal-task"),
    path("mine/", portal.portal_mine, name="portal-mine"),
    path("cases/<str:number>/", portal.portal_case, name="portal-case"),
    path("cases/<str:number>/rate/", portal.portal_rate, name="portal-rate"),
    path("cases/<str:number>/photos/<int:pk>/", portal.portal_photo, name="portal-photo"),
]
