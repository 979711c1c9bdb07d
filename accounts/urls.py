from django.urls import path

from . import views, views_city_staff, views_staff

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    # Staff: accounts of their classes or school, resets, activation letters, renewal slips.
    path("", views_staff.AccountIndexView.as_view(), name="account-index"),
    path("classes/<int:pk>/", views_staff.ClassAccountsView.as_view(), name="class-accounts"),
    path("classes/<int:pk>/lettres/", views_staff.ClassLettersView.as_view(), name="class-letters"),
    path(
        "ecoles/<str:uai>/personnel/",
        views_staff.StaffAccountsView.as_view(),
        name="staff-accounts",
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
