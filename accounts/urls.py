from django.urls import path

from . import views, views_batches, views_city_staff, views_mfa, views_staff

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    # Two-factor authentication (accounts/mfa.py).
    path("securite/", views_mfa.MfaView.as_view(), name="mfa"),
    path("securite/activer/", views_mfa.MfaStartView.as_view(), name="mfa-start"),
    path("securite/confirmer/", views_mfa.MfaConfirmView.as_view(), name="mfa-confirm"),
    path(
        "securite/codes-de-secours/",
        views_mfa.MfaRecoveryRenewView.as_view(),
        name="mfa-recovery-renew",
    ),
    path("securite/comptes/", views_mfa.MfaResetListView.as_view(), name="mfa-reset-list"),
    path(
        "securite/comptes/<int:pk>/reinitialiser/",
        views_mfa.MfaResetView.as_view(),
        name="mfa-reset",
    ),
    # Staff: accounts of their classes or school, resets, activation letters, renewal slips.
    path("", views_staff.AccountIndexView.as_view(), name="account-index"),
    path("classes/<int:pk>/", views_staff.ClassAccountsView.as_view(), name="class-accounts"),
    path("classes/<int:pk>/lettres/", views_staff.ClassLettersView.as_view(), name="class-letters"),
    path(
        "ecoles/<str:uai>/personnel/",
        views_staff.StaffAccountsView.as_view(),
        name="staff-accounts",
    ),
    # Letter batches over a school or a class, built in the background.
    path(
        "ecoles/<str:uai>/lettres/",
        views_batches.SchoolLettersView.as_view(),
        name="school-letters",
    ),
    path(
        "lettres/lots/",
        views_batches.LetterBatchCreateBackgroundView.as_view(),
        name="letter-batch-request",
    ),
    path(
        "lettres/lots/<int:pk>/", views_batches.LetterBatchDetailView.as_view(), name="letter-batch"
    ),
    path(
        "lettres/lots/<int:pk>/etat/",
        views_batches.LetterBatchStatusView.as_view(),
        name="letter-batch-status",
    ),
    path(
        "lettres/lots/<int:pk>/relancer/",
        views_batches.LetterBatchRetryView.as_view(),
        name="letter-batch-retry",
    ),
    path(
        "lettres/lots/<int:pk>/pdf/<str:token>/",
        views_batches.LetterBatchDownloadView.as_view(),
        name="letter-batch-download",
    ),
    path("reinitialiser/", views_staff.AccountResetView.as_view(), name="account-reset"),
    path("reinitialises/", views_staff.AccountResetDoneView.as_view(), name="account-reset-done"),
    path("lettres/", views_staff.LetterBatchCreateView.as_view(), name="letter-batch-create"),
    path("renouvellements/", views_staff.RenewalListView.as_view(), name="renewal-list"),
    # The city's own staff (school service, DPO, IT administrators).
    path("personnel-ville/", views_city_staff.CityStaffListView.as_view(), name="city-staff"),
    path(
        "personnel-ville/<int:pk>/desactiver/",
        views_city_staff.CityStaffDeactivateView.as_view(),
        name="city-staff-deactivate",
    ),
    path("renouvellements/imprimer/", views_staff.RenewalPrintView.as_view(), name="renewal-print"),
]
