from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("2fa/", views.two_factor, name="two_factor"),
    path("2fa/enrol/", views.two_factor_enrol, name="two_factor_enrol"),
    path("2fa/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("tokens/", views.tokens, name="tokens"),
]
