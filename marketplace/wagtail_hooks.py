"""Admin registrations of the marketplace."""

from wagtail.snippets.models import register_snippet

from marketplace.viewsets import TerritoryViewSetGroup

register_snippet(TerritoryViewSetGroup)
