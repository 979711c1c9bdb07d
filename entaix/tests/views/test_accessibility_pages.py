"""The RGAA accessibility statement and the site map, linked from every page's footer."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

STATEMENT, SITEMAP = "/accessibilite/", "/plan-du-site/"


@pytest.mark.parametrize("url", ["/comptes/login/", "/activation/", "/donnees-personnelles/"])
def test_every_page_links_the_statement_and_the_site_map_in_its_footer(client, url):
    html = client.get(url).content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    assert f'<a href="{STATEMENT}">Accessibilité : partiellement conforme</a>' in footer
    assert f'<a href="{SITEMAP}">Plan du site</a>' in footer


def test_staff_pages_link_them_too(client, two_schools):
    client.force_login(two_schools["a"]["director"].account)
    html = client.get(reverse("schools:school-list")).content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    assert STATEMENT in footer and SITEMAP in footer


def test_statement_says_status_gaps_contact_and_recourse(client):
    response = client.get(STATEMENT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Déclaration d'accessibilité</h1>" in html
    for heading in (
        "État de conformité",
        "Contenus non accessibles",
        "Établissement de cette déclaration",
        "Retour d'information et contact",
        "Voies de recours",
    ):
        assert f"<h2>{heading}</h2>" in html
    assert "partiellement conforme" in html
    assert 'href="https://formulaire.defenseurdesdroits.fr/"' in html
    assert 'href="mailto:ent@mairie-aixenprovence.fr"' in html


def test_site_map_lists_the_public_pages_and_a_persons_own(client, two_schools, city_user):
    html = client.get(SITEMAP).content.decode()
    for url in ("/activation/", "/mot-de-passe-oublie/", "/donnees-personnelles/demande/",
                "/donnees-personnelles/", STATEMENT, "/comptes/login/"):  # fmt: skip
        assert f'href="{url}"' in html
    assert "/ecoles/tableau-de-bord/" not in html

    client.force_login(city_user)
    html = client.get(SITEMAP).content.decode()
    assert 'href="/ecoles/tableau-de-bord/"' in html and 'href="/imports/"' in html

    client.force_login(two_schools["a"]["director"].account)
    html = client.get(SITEMAP).content.decode()
    assert 'href="/ecoles/"' in html and "/ecoles/tableau-de-bord/" not in html
