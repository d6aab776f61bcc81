from django.contrib.auth import views as auth_views
from django.urls import path

from grassroots.accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/code/", views.second_factor, name="second-factor"),
    path("account/authenticator/", views.second_factor_setup, name="second-factor-setup"),
]
