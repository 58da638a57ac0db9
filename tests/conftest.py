"""Shared fixtures: a territory, its staff and providers, huey in immediate mode."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


@pytest.fixture(autouse=True)
def _huey_immediate():
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Uploaded files and image renditions go to a temporary directory, never var/media."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture
def territory(db):
    """The default site with its home page, catalogue, provider index and staff groups."""
    from cms.services import territory_setup

    return territory_setup(hostname="localhost", port=80, site_name="Comptoir test")


def make_user(
    email: str,
    *,
    password: str = "correct-horse-battery",
    verified: bool = True,
    groups: tuple[str, ...] = (),
    **extra,
):
    from allauth.account.models import EmailAddress

    user = get_user_model().objects.create_user(
        username=email.split("@")[0][:150], email=email, password=password, **extra
    )
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture
def editor(territory):
    from cms.services import EDITORS_GROUP

    return make_user("editrice@example.org", groups=(EDITORS_GROUP,))


@pytest.fixture
def visitor(db):
    return make_user("visiteur@example.org")
