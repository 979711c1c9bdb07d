import pytest
from django.urls import reverse

from accounts.models import User
from entaix.tests import factories
from schools.models import Pupil

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("admin.ville", "Tulipe-Rouge-Sextius-42")


def test_admin_is_for_city_superusers_only(client, two_schools, city_user):
    client.force_login(two_schools["a"]["director"].account)
    assert client.get(reverse("admin:index")).status_code == 302  # to the admin login
    client.force_login(city_user)  # city staff, not superuser
    assert client.get(reverse("admin:index")).status_code == 302


def test_feed_fields_cannot_be_edited(client, two_schools, superuser):
    pupil = two_schools["a"]["pupils"][0]
    client.force_login(superuser)
    url = reverse("admin:schools_pupil_change", args=[pupil.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "ONDE" in " ".join(str(m) for m in page.context["messages"])
    client.post(url, {"last_name": "Piraté", "first_name": "X"})
    pupil.refresh_from_db()
    assert pupil.last_name == "Martin"
    assert client.get(reverse("admin:schools_pupil_add")).status_code == 403
    assert client.post(reverse("admin:schools_pupil_delete", args=[pupil.pk])).status_code == 403
    assert Pupil.objects.filter(pk=pupil.pk).exists()


def test_pupil_changelist_query_count_is_constant(
    client, two_schools, superuser, django_assert_max_num_queries
):
    client.force_login(superuser)
    url = reverse("admin:schools_pupil_changelist")
    with django_assert_max_num_queries(8) as first:
        client.get(url)
    factories.PupilFactory.create_batch(20, school=two_schools["a"]["school"])
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200


def test_no_read_only_change_page_shows_a_save_button(client, two_schools, superuser):
    from django.contrib import admin

    from imports.models import ImportRun

    ImportRun.objects.create(status="applied", trigger="command")
    client.force_login(superuser)
    checked = []
    for model, model_admin in admin.site._registry.items():
        obj = model._default_manager.order_by("pk").first()
        if obj is None or model_admin.has_add_permission(_request(superuser)):
            continue
        opts = model._meta
        page = client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        )
        assert page.status_code == 200, opts.label
        html = page.content.decode()
        assert 'name="_save"' not in html, opts.label
        assert 'name="_continue"' not in html, opts.label
        checked.append(opts.label)
    assert {"schools.Pupil", "schools.School", "schools.Staff", "imports.ImportRun"} <= set(checked)


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request
