"""A provider's members work on their own provider only, through Wagtail's permissions.

Every refusal is checked the same way: the response is a 403 or a redirect away, and
the other provider's page, offers and images are unchanged.
"""

import io
import os

import PIL.Image
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file, get_test_image_file_jpeg
from wagtail.models import Collection, Page
from wagtail.test.utils.form_data import nested_form_data, querydict_from_html, streamfield

from cms.models import HomePage, ProviderIndexPage, ProviderPage
from marketplace.models import ActivityOfferPage, OfferPage, ProductOfferPage, StayOfferPage
from tests.conftest import make_provider, make_user
from tests.snapshots import Replay

Image = get_image_model()


def jpeg(name: str, size=(64, 48)) -> SimpleUploadedFile:
    image = get_test_image_file_jpeg(name, size=size)
    return SimpleUploadedFile(name, image.file.getvalue(), content_type="image/jpeg")


def png(name: str, size=(64, 48)) -> SimpleUploadedFile:
    image = get_test_image_file(name, size=size)
    return SimpleUploadedFile(name, image.file.getvalue(), content_type="image/png")


def refused(response) -> bool:
    if response.status_code == 403:
        return True
    if response.status_code == 302:
        # Wagtail sends a user without the right to the dashboard (or the login).
        return "/edit/" not in response["Location"] and "/add/" not in response["Location"]
    return False


def build_members(territory, category):
    alice = make_user("alice@example.org")
    bob = make_user("bob@example.org")
    mine = make_provider(territory, name="Canoës Alice", category=category, member=alice)
    theirs = make_provider(territory, name="Ferme Bob", category=category, member=bob)
    return alice, bob, mine, theirs


members_replay = Replay(build_members)


@pytest.fixture
def members(territory, category):
    """``build_members``, built once and then replayed (tests/snapshots.py)."""
    return members_replay(territory, category)


def build_theirs_offer(members):
    theirs = members[3]
    page = ProviderPage.objects.get(provider=theirs)
    offer = page.add_child(
        instance=ActivityOfferPage(
            title="Traite des chèvres",
            slug="traite",
            summary="Le matin à la ferme.",
            price_per_person=1200,
        )
    )
    offer.save_revision().publish()
    return ActivityOfferPage.objects.get(pk=offer.pk)


theirs_offer_replay = Replay(build_theirs_offer)


@pytest.fixture
def theirs_offer(members):
    """``build_theirs_offer``, built once and then replayed (tests/snapshots.py)."""
    return theirs_offer_replay(members)


def build_theirs_image(members):
    theirs = members[3]
    return Image.objects.create(
        title="Chèvres", file=get_test_image_file("chevres.png"), collection=theirs.collection
    )


theirs_image_replay = Replay(build_theirs_image)


@pytest.fixture
def theirs_image(members):
    """``build_theirs_image``, built once and then replayed (tests/snapshots.py)."""
    return theirs_image_replay(members)


def _form_data(response) -> dict:
    """The admin form as the browser would post it (StreamFields are built by JS)."""
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form").dict()
    if "body" in data or response.context["form"].fields.get("body") is not None:
        data.pop("body", None)
        data.update(nested_form_data({"body": streamfield([])}))
    return data


def edit_form(client, page) -> dict:
    return _form_data(client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])))


def add_form(client, model: str, parent) -> dict:
    return _form_data(
        client.get(reverse("wagtailadmin_pages:add", args=("marketplace", model, parent.pk)))
    )


# --- What a member can do -----------------------------------------------------------


def test_member_edits_own_provider_page(client, members):
    alice, _bob, mine, _theirs = members
    page = ProviderPage.objects.get(provider=mine)
    client.force_login(alice)
    data = edit_form(client, page)
    data["tagline"] = "Descentes de l'Ardèche"
    response = client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.get_latest_revision_as_object().tagline == "Descentes de l'Ardèche"


def test_member_creates_offer_through_admin_form(client, members):
    alice, _bob, mine, _theirs = members
    page = ProviderPage.objects.get(provider=mine)
    client.force_login(alice)
    data = add_form(client, "stayofferpage", page)
    data.update(
        {
            "title": "Emplacement tente",
            "slug": "emplacement-tente",
            "summary": "Au bord de l'eau.",
            "unit_name": "emplacement",
            "units": "40",
            "guests_per_unit": "6",
            "min_nights": "2",
            "price_per_night": "18.50",
            "seasonal_prices-TOTAL_FORMS": "1",
            "seasonal_prices-0-name": "Été",
            "seasonal_prices-0-start_date": "2026-07-01",
            "seasonal_prices-0-end_date": "2026-08-31",
            "seasonal_prices-0-price_per_night": "24.00",
            "seasonal_prices-0-ORDER": "1",
        }
    )
    response = client.post(
        reverse("wagtailadmin_pages:add", args=("marketplace", "stayofferpage", page.pk)), data
    )
    assert response.status_code == 302, response.context["form"].errors
    offer = StayOfferPage.objects.get(slug="emplacement-tente")
    assert offer.get_parent().pk == page.pk
    assert not offer.live
    # Denormalised for the storefront from the provider and the kind's data.
    assert offer.provider_id == mine.pk
    assert offer.commune == mine.commune
    assert offer.listing_category_id == mine.category_id
    assert offer.price_from == 1850
    assert offer.max_guests == 240
    assert "emplacement tente" in offer.search_text and "canoes alice" in offer.search_text


def test_member_uploads_image_into_own_collection_only(client, members):
    alice, _bob, mine, theirs = members
    client.force_login(alice)
    url = reverse("wagtailimages:add")
    form = client.get(url).content.decode()
    # One collection allowed: Wagtail does not even offer a choice.
    assert f'value="{theirs.collection_id}"' not in form

    response = client.post(url, {"title": "Bateau", "file": jpeg("bateau.jpg")})
    assert response.status_code == 302
    assert Image.objects.get(title="Bateau").collection_id == mine.collection_id

    client.post(
        url, {"title": "Intrus", "file": jpeg("intrus.jpg"), "collection": theirs.collection_id}
    )
    assert not Image.objects.filter(title="Intrus", collection=theirs.collection).exists()


def test_member_sees_only_own_images(client, members, theirs_image):
    alice, _bob, mine, _theirs = members
    Image.objects.create(
        title="Mon canoë", file=get_test_image_file("canoe.png"), collection=mine.collection
    )
    client.force_login(alice)
    body = client.get(reverse("wagtailimages:index")).content.decode()
    assert "Mon canoë" in body
    assert "Chèvres" not in body
    chooser = client.get(reverse("wagtailimages_chooser:choose")).json()["html"]
    assert "Mon canoë" in chooser and "Chèvres" not in chooser


def test_member_explorer_starts_at_own_page(client, members):
    alice, _bob, mine, _theirs = members
    client.force_login(alice)
    body = client.get(reverse("wagtailadmin_explore_root"), follow=True).content.decode()
    assert "Canoës Alice" in body
    assert "Ferme Bob" not in body


# --- What a member cannot do --------------------------------------------------------------


def test_member_cannot_edit_other_provider_page(client, members):
    alice, bob, _mine, theirs = members
    page = ProviderPage.objects.get(provider=theirs)
    client.force_login(bob)
    data = edit_form(client, page)  # the real form, as its owner sees it
    client.force_login(alice)
    url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    assert refused(client.get(url))
    data["title"] = "Piraté"
    data["tagline"] = "Piraté"
    assert refused(client.post(url, data))
    assert refused(client.post(url, data | {"action-submit": "1"}))
    page.refresh_from_db()
    assert page.title == "Ferme Bob"
    assert page.get_latest_revision_as_object().tagline == ""


def test_member_cannot_add_offer_under_other_provider(client, members):
    alice, bob, mine, theirs = members
    page = ProviderPage.objects.get(provider=theirs)
    client.force_login(bob)
    data = add_form(client, "activityofferpage", page)
    data.update(
        title="Intrus", slug="intrus", summary="x", price_per_person="10", places_per_slot="5"
    )
    client.force_login(alice)
    for model in ("activityofferpage", "stayofferpage", "productofferpage"):
        url = reverse("wagtailadmin_pages:add", args=("marketplace", model, page.pk))
        assert refused(client.get(url))
        assert refused(client.post(url, data))
    assert refused(client.get(reverse("wagtailadmin_pages:add_subpage", args=[page.pk])))
    assert not OfferPage.objects.filter(slug="intrus").exists()
    assert page.get_children().count() == 0


def test_member_cannot_touch_other_provider_offer(client, members, theirs_offer):
    alice, _bob, mine, _theirs = members
    client.force_login(alice)
    pk = theirs_offer.pk
    for name in ("edit", "delete", "unpublish", "move", "copy", "revisions_index", "history"):
        response = client.get(reverse(f"wagtailadmin_pages:{name}", args=[pk]))
        assert refused(response) or response.status_code == 404, name
    url = reverse("wagtailadmin_pages:edit", args=[pk])
    assert refused(client.post(url, {"title": "Piraté", "slug": "pirate", "summary": "x"}))
    assert refused(client.post(reverse("wagtailadmin_pages:delete", args=[pk])))
    assert refused(client.post(reverse("wagtailadmin_pages:unpublish", args=[pk])))
    assert refused(
        client.post(
            reverse("wagtailadmin_pages:copy", args=[pk]),
            {
                "new_title": "Copie",
                "new_slug": "copie",
                "new_parent_page": ProviderPage.objects.get(provider=mine).pk,
            },
        )
    )
    my_page = ProviderPage.objects.get(provider=mine)
    assert refused(client.post(reverse("wagtailadmin_pages:move_confirm", args=[pk, my_page.pk])))
    offer = ActivityOfferPage.objects.get(pk=pk)
    assert offer.title == "Traite des chèvres" and offer.live
    assert offer.get_parent().specific.provider_id == members[3].pk
    assert not Page.objects.filter(slug="copie").exists()


def test_member_cannot_browse_other_provider_in_explorer(client, members, theirs_offer):
    alice, _bob, _mine, theirs = members
    client.force_login(alice)
    page = ProviderPage.objects.get(provider=theirs)
    response = client.get(reverse("wagtailadmin_explore", args=[page.pk]))
    assert refused(response) or "Traite des chèvres" not in response.content.decode()


def test_member_cannot_see_or_change_other_provider_image(client, members, theirs_image):
    alice, _bob, _mine, _theirs = members
    client.force_login(alice)
    pk = theirs_image.pk
    assert refused(client.get(reverse("wagtailimages:edit", args=[pk])))
    assert refused(client.get(reverse("wagtailimages:delete", args=[pk])))
    assert refused(
        client.post(reverse("wagtailimages:edit", args=[pk]), {"title": "Piraté", "tags": ""})
    )
    assert refused(client.post(reverse("wagtailimages:delete", args=[pk])))
    theirs_image.refresh_from_db()
    assert theirs_image.title == "Chèvres"


def test_member_cannot_edit_territory_pages(client, members, territory):
    alice = members[0]
    client.force_login(alice)
    for page in (HomePage.objects.get(), ProviderIndexPage.objects.get()):
        assert refused(client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])))
    index = ProviderIndexPage.objects.get()
    url = reverse("wagtailadmin_pages:add", args=("cms", "providerpage", index.pk))
    assert refused(client.get(url))


def test_member_cannot_publish_directly(client, members):
    alice, _bob, mine, _theirs = members
    page = ProviderPage.objects.get(provider=mine)
    client.force_login(alice)
    assert not page.permissions_for_user(alice).can_publish()
    assert page.permissions_for_user(alice).can_edit()
    assert not page.get_parent().permissions_for_user(alice).can_edit()


# --- Uploaded images are checked -----------------------------------------------------------


def test_fake_image_is_refused(client, members):
    alice, _bob, mine, _theirs = members
    client.force_login(alice)
    fake = SimpleUploadedFile("photo.png", b"<?php echo 'hello'; ?>", content_type="image/png")
    response = client.post(
        reverse("wagtailimages:add"),
        {"title": "Faux", "file": fake, "collection": mine.collection_id},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Image.objects.filter(title="Faux").exists()


def test_disallowed_extension_is_refused(client, members):
    alice, _bob, mine, _theirs = members
    client.force_login(alice)
    gif = SimpleUploadedFile("anim.gif", b"GIF89a" + b"\x00" * 100, content_type="image/gif")
    response = client.post(
        reverse("wagtailimages:add"),
        {"title": "Gif", "file": gif, "collection": mine.collection_id},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Image.objects.filter(title="Gif").exists()


def test_oversized_image_is_refused(client, members, settings):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10_000
    alice, _bob, mine, _theirs = members
    client.force_login(alice)
    noise = PIL.Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    big = SimpleUploadedFile("grande.png", buffer.getvalue(), content_type="image/png")
    assert big.size > 10_000
    response = client.post(
        reverse("wagtailimages:add"),
        {"title": "Grande", "file": big, "collection": mine.collection_id},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Image.objects.filter(title="Grande").exists()


def test_too_many_pixels_is_refused(client, members, settings):
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 100 * 100
    alice, _bob, mine, _theirs = members
    client.force_login(alice)
    wide = png("large.png", size=(200, 200))
    response = client.post(
        reverse("wagtailimages:add"),
        {"title": "Large", "file": wide, "collection": mine.collection_id},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Image.objects.filter(title="Large").exists()


# --- Page-type rules ------------------------------------------------------------------------


def test_page_type_rules(territory):
    home = HomePage.objects.get()
    index = ProviderIndexPage.objects.get()
    assert ProviderPage.can_create_at(index)
    assert not ProviderPage.can_create_at(home)
    for offer_model in (StayOfferPage, ActivityOfferPage, ProductOfferPage):
        assert not offer_model.can_create_at(index)
        assert not offer_model.can_create_at(home)
    assert not OfferPage.is_creatable
    assert OfferPage not in ProviderPage.allowed_subpage_models()
    assert set(ProviderPage.allowed_subpage_models()) == {
        StayOfferPage,
        ActivityOfferPage,
        ProductOfferPage,
    }
    assert ProviderIndexPage.allowed_subpage_models() == [ProviderPage]
    assert StayOfferPage.allowed_subpage_models() == []


def test_page_type_rules_with_provider_page(members):
    page = ProviderPage.objects.get(provider=members[2])
    for offer_model in (StayOfferPage, ActivityOfferPage, ProductOfferPage):
        assert offer_model.can_create_at(page)
    assert not OfferPage.can_create_at(page)
    assert not ProviderPage.can_create_at(page)


def test_editor_uploads_and_sees_every_provider_image(client, editor, members, theirs_image):
    client.force_login(editor)
    root = Collection.get_first_root_node()
    response = client.post(
        reverse("wagtailimages:add"),
        {"title": "Affiche", "file": jpeg("a.jpg"), "collection": root.pk},
    )
    assert response.status_code == 302
    assert Image.objects.filter(title="Affiche").exists()
    assert "Chèvres" in client.get(reverse("wagtailimages:index")).content.decode()
    assert client.get(reverse("wagtailimages:edit", args=[theirs_image.pk])).status_code == 200


def build_my_offer(members):
    page = ProviderPage.objects.get(provider=members[2])
    offer = page.add_child(
        instance=ActivityOfferPage(
            title="Descente", slug="descente", summary="Canoë.", price_per_person=2500
        )
    )
    offer.save_revision()
    return ActivityOfferPage.objects.get(pk=offer.pk)


my_offer_replay = Replay(build_my_offer)


@pytest.fixture
def my_offer(members):
    """``build_my_offer``, built once and then replayed (tests/snapshots.py)."""
    return my_offer_replay(members)


def test_member_cannot_use_other_provider_image_by_id(client, members, my_offer, theirs_image):
    alice, _bob, mine, _theirs = members
    own = Image.objects.create(
        title="Mon canoë", file=get_test_image_file("canoe.png"), collection=mine.collection
    )
    client.force_login(alice)
    url = reverse("wagtailadmin_pages:edit", args=[my_offer.pk])

    data = edit_form(client, my_offer)
    response = client.post(url, data | {"cover_image": str(theirs_image.pk)})
    assert response.status_code == 200
    assert "cover_image" in response.context["form"].errors
    data = edit_form(client, my_offer)
    gallery = {
        "gallery_images-TOTAL_FORMS": "1",
        "gallery_images-0-image": str(theirs_image.pk),
        "gallery_images-0-caption": "Chèvres",
        "gallery_images-0-ORDER": "1",
    }
    response = client.post(url, data | gallery)
    assert response.status_code == 200
    my_offer.refresh_from_db()
    revision = my_offer.get_latest_revision_as_object()
    assert revision.cover_image_id is None
    assert not revision.gallery_images.exists() and not list(revision.gallery_images.all())

    # Their own image is fine, in both places.
    data = edit_form(client, my_offer)
    response = client.post(
        url,
        data | gallery | {"cover_image": str(own.pk), "gallery_images-0-image": str(own.pk)},
    )
    assert response.status_code == 302
    my_offer.refresh_from_db()
    revision = my_offer.get_latest_revision_as_object()
    assert revision.cover_image_id == own.pk
    assert [g.image_id for g in revision.gallery_images.all()] == [own.pk]


def test_image_chosen_by_editor_does_not_block_member_edits(
    client, members, my_offer, theirs_image
):
    my_offer.cover_image = theirs_image
    my_offer.save_revision()
    client.force_login(members[0])
    data = edit_form(client, my_offer)
    assert data["cover_image"] == str(theirs_image.pk)
    data["summary"] = "Canoë, kayak."
    response = client.post(reverse("wagtailadmin_pages:edit", args=[my_offer.pk]), data)
    assert response.status_code == 302
    my_offer.refresh_from_db()
    assert my_offer.get_latest_revision_as_object().summary == "Canoë, kayak."
