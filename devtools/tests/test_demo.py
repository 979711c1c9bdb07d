"""demo_seed: a small generated city, imported through the real pipeline, and its logins."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from schools.models import StaffAssignment, StaffClass


@pytest.mark.django_db
def test_demo_says_which_logins_are_directors_and_which_is_the_teacher():
    out = StringIO()
    call_command("demo_seed", stdout=out)
    lines = out.getvalue().splitlines()
    directors_line = next(line for line in lines if "Directeurs et directrices" in line)
    teacher_line = next(line for line in lines if "Enseignant" in line)
    directors = re.search(r"ouverte\) : (.+?)  mot de passe", directors_line).group(1).split(", ")
    teacher = re.search(r"seulement\) : (\S+)  mot de passe", teacher_line).group(1)
    assert len(directors) == 3  # one per open school (four schools, three open)
    for login in directors:
        staff = User.objects.get(login=login).staff
        assert StaffAssignment.objects.filter(staff=staff, is_director=True).count() == 1
    staff = User.objects.get(login=teacher).staff
    assert not StaffAssignment.objects.filter(staff=staff, is_director=True).exists()
    assert StaffClass.objects.filter(staff=staff).exists()
    assert teacher not in directors
