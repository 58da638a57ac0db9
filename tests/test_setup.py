from wagtail.models import Site

from cms.models import HomePage, OfferIndexPage, ProviderIndexPage
from cms.services import territory_setup


def test_territory_setup_is_idempotent(territory):
    territory_setup(hostname="localhost", port=80, site_name="Comptoir test")
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert OfferIndexPage.objects.get().url_path.endswith("/offres/")
    assert ProviderIndexPage.objects.count() == 1
    assert HomePage.objects.count() == 1
