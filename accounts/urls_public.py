"""Public account pages (activation, forgotten password or login) and "Mon compte"."""

from django.urls import path

from . import views_activation as views

app_name = "account"

urlpatterns = [
    path("activation/", views.ActivationView.as_view(), name="activate"),
    path("activation/conditions/", views.TermsView.as_view(), name="terms"),
    path("mot-de-passe-oublie/", views.PasswordForgotView.as_view(), name="password-forgot"),
    path(
        "mot-de-passe-oublie/envoye/",
        views.PasswordForgotDoneView.as_view(),
        name="password-forgot-done",
    ),
    path(
        "mot-de-passe-oublie/<uidb64>/<token>/",
        views.PasswordResetView.as_view(),
        name="password-reset",
    ),
    path("identifiant-oublie/", views.LoginForgotView.as_view(), name="login-forgot"),
    path(
        "identifiant-oublie/envoye/",
        views.LoginForgotDoneView.as_view(),
        name="login-forgot-done",
    ),
    path("mon-compte/", views.AccountDetailView.as_view(), name="detail"),
    path("mon-compte/email/", views.EmailChangeView.as_view(), name="email-change"),
    path(
        "mon-compte/email/<uidb64>/<token>/",
        views.EmailConfirmView.as_view(),
        name="email-confirm",
    ),
    path("mon-compte/mot-de-passe/", views.PasswordChangeView.as_view(), name="password-change"),
]
