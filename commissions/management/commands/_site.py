from django.core.management.base import CommandError
from wagtail.models import Site


def site_for(hostname: str | None) -> Site:
    """The site named by ``--site HOST``, or the default site."""
    if hostname:
        site = Site.objects.filter(hostname=hostname).first()
        if site is None:
            raise CommandError(f"No site with hostname {hostname!r}.")
        return site
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        raise CommandError("No default site: run seed_demo or create a site first.")
    return site
