"""Letter batches over a school or a class: piles per class with covers, one letter per guardian
filed under the youngest child in the printer's scope, filters, layouts, the printed record."""

import re

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services
from accounts.models import ActivationCode, LetterBatch, User
from accounts.tests.support import audit_events, codes_in, pdf_pages
from entaix.common.exceptions import ApplicationError
from entaix.tests import factories
from entaix.tests.factories import PASSWORD, account, add_guardian
from schools.models import GuardianLink

pytestmark = pytest.mark.django_db


def build(capture, *, actor, school, **options) -> LetterBatch:
    """A batch as the page asks for it; the (eager) worker builds it on commit."""
    with capture(execute=True):
        batch = services.letter_batch_request(actor=actor, school=school, **options)
    batch.refresh_from_db()
    return batch


def pages_of(batch: LetterBatch) -> list[str]:
    with batch.file.open("rb") as handle:
        return pdf_pages(handle.read())


def own_guardian(pupil):
    """The guardian each pupil of `two_schools` was born with (before Aïcha Zidane)."""
    return pupil.guardian_links.order_by("pk").first().guardian


def logins_in(text: str) -> list[str]:
    return re.findall(r"Identifiant : (\S+)", text)


def snapshot():
    return (
        LetterBatch.objects.count(),
        list(ActivationCode.objects.order_by("pk").values_list("pk", "digest", "printed_at")),
        LogEntry.objects.count(),
    )


def test_school_batch_piles_per_class_one_letter_per_guardian(
    family, django_capture_on_commit_callbacks
):
    a = family["a"]
    director = a["director"].account
    # Her child in school B puts Aïcha Zidane beyond the director's reach: the school service
    # prints her letter (accounts.scope.credential_accounts_for_user).
    left_out = build(django_capture_on_commit_callbacks, actor=director, school=a["school"],
                     profile="guardian")  # fmt: skip
    assert (left_out.status, left_out.count, left_out.pages) == ("done", 4, 6)
    assert not any("Aïcha Zidane" in page for page in pages_of(left_out))
    # Once that link has ended, her two children in school A are the director's to print.
    GuardianLink.objects.filter(guardian=family["parent"], pupil=family["b"]["pupils"][0]).update(
        left_at=timezone.now()
    )
    batch = build(django_capture_on_commit_callbacks, actor=director, school=a["school"],
                  profile="guardian")  # fmt: skip
    assert (batch.status, batch.count, batch.pages, batch.progress) == ("done", 5, 7, 5)
    assert (batch.kind, batch.origin, batch.requested_by_id) == ("school", "page", director.pk)
    assert batch.file.name.startswith("letters/") and batch.expires_at > timezone.now()
    pages = pages_of(batch)
    assert len(pages) == 7
    class0, class1 = a["classes"]
    teacher0, teacher1 = (str(t) for t in a["teachers"])
    # Cover of class 0, its two guardians, cover of class 1, its three guardians (by name).
    assert class0.name in pages[0] and teacher0 in pages[0]
    assert "Lettres de cette pile : 2" in pages[0]
    assert f"par {a['director']}" in pages[0]
    assert class1.name in pages[3] and teacher1 in pages[3]
    assert "Lettres de cette pile : 3" in pages[3]
    expected = [str(own_guardian(a["pupils"][i])) for i in (0, 1)]
    assert [p.split("Destinataire : ")[1].split("\n")[0] for p in pages[1:3]] == sorted(expected)
    zidane = pages[6]
    assert "Destinataire : Aïcha Zidane" in zidane
    # Her children the director may see, with school and class; not her child in school B.
    assert f"{a['pupils'][0]} (École A, {class0.name})" in zidane
    assert f"{a['pupils'][2]} (École A, {class1.name})" in zidane
    assert "École B" not in zidane and str(family["b"]["pupils"][0]) not in zidane
    assert "Contact de l'école" in zidane
    assert all(len(codes_in(page)) == 1 for page in pages[1:3] + pages[4:])
    text = "\n".join(pages)
    assert "Tata" not in text  # a contact without authority
    assert text.count("Aïcha Zidane") == 1

    printed = sorted(
        ActivationCode.objects.filter(printed_at=batch.printed_at).values_list(
            "account_id", flat=True
        )
    )
    assert len(printed) == 5
    assert set(ActivationCode.objects.values_list("printed_by", flat=True)) == {director.pk}
    assert audit_events("code-issued") == printed  # the four reprinted codes were not reissued
    assert (
        sorted(
            LogEntry.objects.filter(
                additional_data__event="letter-printed", additional_data__batch=batch.pk
            ).values_list("object_id", flat=True)
        )
        == printed
    )


def test_city_staff_see_every_child_and_a_guardian_is_filed_once(
    family, city_user, django_capture_on_commit_callbacks, tmp_path
):
    a, b = family["a"], family["b"]
    in_a = pages_of(build(django_capture_on_commit_callbacks, actor=city_user,
                          school=a["school"], profile="guardian"))  # fmt: skip
    zidane = [page for page in in_a if "Aïcha Zidane" in page]
    assert len(zidane) == 1
    assert f"{b['pupils'][0]} (École B, {b['classes'][0].name})" in zidane[0]
    # Her youngest child is in school A: school B's batch does not print her again.
    in_b = pages_of(build(django_capture_on_commit_callbacks, actor=city_user,
                          school=b["school"], profile="guardian", batch_filter="all"))  # fmt: skip
    assert not any("Aïcha Zidane" in page for page in in_b)
    assert len(in_b) == 2 + 4  # two covers, the four other guardians


def test_teacher_class_batch_names_only_the_children_of_their_class(
    family, django_capture_on_commit_callbacks
):
    a = family["a"]
    teacher = a["teachers"][0].account
    batch = build(django_capture_on_commit_callbacks, actor=teacher, school=a["school"],
                  school_class=a["classes"][0], profile="guardian")  # fmt: skip
    # Aïcha Zidane has children in another class and school: not the teacher's to print.
    assert (batch.status, batch.kind, batch.count) == ("done", "class", 2)
    pages = pages_of(batch)
    assert len(pages) == 3
    assert not any("Aïcha Zidane" in page for page in pages)
    assert [p.split("Destinataire : ")[1].split("\n")[0] for p in pages[1:]] == sorted(
        str(own_guardian(pupil)) for pupil in a["pupils"][:2]
    )


def test_filters_activated_sheet_and_not_printed(family, django_capture_on_commit_callbacks):
    a = family["a"]
    director = a["director"].account
    school_class = a["classes"][0]
    options = {"actor": director, "school": a["school"], "school_class": school_class,
               "profile": "pupil"}  # fmt: skip
    pupils = [account(p) for p in a["pupils"][:2]]
    active = pupils[0]
    active.set_password(PASSWORD)
    active.activated_at = timezone.now()
    active.save()

    default = build(django_capture_on_commit_callbacks, **options)
    assert default.count == 1 and logins_in("\n".join(pages_of(default))) == [pupils[1].login]

    every = pages_of(build(django_capture_on_commit_callbacks, batch_filter="all", **options))
    assert len(every) == 3
    sheet = next(page for page in every if logins_in(page) == [active.login])
    assert "Votre compte ENT est actif" in sheet and "Mot de passe oublié ?" in sheet
    assert codes_in(sheet) == []
    assert not ActivationCode.objects.filter(account=active).exists()  # no code for it

    # Every letter of the class was printed: "not-printed" selects nobody, and writes nothing.
    before = snapshot()
    with pytest.raises(ApplicationError) as error:
        services.letter_batch_request(batch_filter="not-printed", **options)
    assert error.value.code == "empty"
    assert snapshot() == before
    # A reset gives a new code, not printed yet: that account alone.
    services.account_reset(accounts=[pupils[1]], actor=director)
    again = build(django_capture_on_commit_callbacks, batch_filter="not-printed", **options)
    assert again.count == 1 and logins_in(pages_of(again)[1]) == [pupils[1].login]


def test_slips_eight_per_page_and_staff_profile(
    family, city_user, django_capture_on_commit_callbacks
):
    a = family["a"]
    school_class = a["classes"][0]
    for _ in range(7):
        factories.enrol(factories.PupilFactory(school=a["school"]), school_class)
    services.account_sync()
    batch = build(django_capture_on_commit_callbacks, actor=city_user, school=a["school"],
                  school_class=school_class, profile="pupil", layout="slips")  # fmt: skip
    assert (batch.count, batch.pages) == (9, 3)
    pages = pages_of(batch)
    assert len(codes_in(pages[1])) == 8 and len(codes_in(pages[2])) == 1

    staff = build(django_capture_on_commit_callbacks, actor=city_user, school=a["school"],
                  profile="staff", batch_filter="all")  # fmt: skip
    pages = pages_of(staff)
    assert staff.count == 3 and len(pages) == 4
    assert "Personnel" in pages[0] and "Lettres de cette pile : 3" in pages[0]
    assert all("Votre compte ENT est actif" in page for page in pages[1:])


def test_batch_queries_do_not_grow_with_its_size(family, city_user, tmp_path):
    a = family["a"]

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            services.letter_batch_print(uai=a["school"].uai, profile="guardian",
                                        batch_filter="all", out=tmp_path / "x.pdf")  # fmt: skip
        return len(queries.captured_queries)

    # The content-type cache is filled once per process, whichever app's set-up ran last: not
    # what this test measures.
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.get_for_model(LetterBatch)
    small = count()
    for school_class in a["classes"]:
        for _ in range(6):
            pupil = factories.PupilFactory(school=a["school"])
            factories.enrol(pupil, school_class)
            add_guardian(pupil)
    services.account_sync()
    assert count() == small
    assert LetterBatch.objects.order_by("pk").last().count == 5 + 12


def test_refused_batches_write_nothing(family, city_user, two_schools):
    a, b = family["a"], family["b"]
    before = snapshot()
    parent = account(family["parent"])
    cases = [
        ({"actor": parent, "school": a["school"]}, "no-scope"),
        ({"actor": a["teachers"][0].account, "school": a["school"]}, "scope"),
        ({"actor": a["teachers"][0].account, "school": a["school"],
          "school_class": a["classes"][1]}, "scope"),
        ({"actor": a["director"].account, "school": b["school"]}, "scope"),
        ({"actor": city_user, "school": a["school"], "school_class": b["classes"][0]}, "class"),
    ]  # fmt: skip
    for options, code in cases:
        with pytest.raises(ApplicationError) as error:
            services.letter_batch_request(profile="guardian", **options)
        assert error.value.code == code, options
    closed = factories.SchoolFactory(ent_open=False, ent_opened_on=None)
    with pytest.raises(ApplicationError) as error:
        services.letter_batch_request(actor=city_user, school=closed, profile="pupil")
    assert error.value.code == "closed"
    assert snapshot() == before
    assert User.objects.filter(pk=parent.pk, activation_code__isnull=True).exists()
