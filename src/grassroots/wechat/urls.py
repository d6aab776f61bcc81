"""The WeChat app's address, mounted at /wechat/: the Official Account's message callback."""

from django.urls import path

from grassroots.wechat import views

urlpatterns = [
    path("callback/", views.callback, name="wechat-callback"),
]
