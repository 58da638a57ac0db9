"""A provider's files and data stay theirs (issue 10, section 4).

Documents and images in a provider's collection are listed, chosen and downloaded by
the provider's members and the territory staff only; the admin reports do not show
other providers' drafts; the public JSON-LD shows only the contact address the provider
chose to publish.
"""

import importlib
import json

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Collection, CollectionViewRestriction, Page
from wagtail.test.utils.form_data import nested_form_data, streamfield

from cms.models import ProviderPage
from cms.services import COUNCIL_GROUP, FINANCE_GROUP
from marketplace.models import ActivityOfferPage
from tests.config.test_admin_isolation import edit_form
from tests.conftest import make_provider, make_user
from tests.snapshots import Replay

Document = get_document_model()
Image = get_image_model()


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


def build_contract(members):
    """Bob's contract, linked from nowhere."""
    return Document.objects.create(
        title="Contrat Bob",
        file=ContentFile(b"%PDF-1.4 contrat confidentiel", name="contrat-bob.pdf"),
        collection=members[3].collection,
    )


contract_replay = Replay(build_contract)


@pytest.fixture
def contract(members):
    """``build_contract``, built once and then replayed (tests/snapshots.py)."""
    return contract_replay(members)


def build_bob_image(members):
    return Image.objects.create(
        title="Chèvres de Bob",
        file=get_test_image_file("chevres.png"),
        collection=members[3].collection,
    )


bob_image_replay = Replay(build_bob_image)


@pytest.fixture
def bob_image(members):
    """``build_bob_image``, built once and then replayed (tests/snapshots.py)."""
    return bob_image_replay(members)


def build_alice_image(members):
    return Image.objects.create(
        title="Canoë d'Alice",
        file=get_test_image_file("canoe.png"),
        collection=members[2].collection,
    )


alice_image_replay = Replay(build_alice_image)


@pytest.fixture
def alice_image(members):
    """``build_alice_image``, built once and then replayed (tests/snapshots.py)."""
    return alice_image_replay(members)


def _api_titles(client, endpoint: str) -> set[str]:
    response = client.get(f"/admin/api/main/{endpoint}/")
    assert response.status_code == 200
    return {item["title"] for item in response.json()["items"]}


# --- Collections are private -------------------------------------------------------------


@pytest.mark.parametrize("who", ["other provider", "finance", "council"])
def test_admin_api_lists_only_files_the_user_may_see(
    client, members, contract, bob_image, alice_image, who
):
    alice = members[0]
    user = {
        "other provider": alice,
        "finance": make_user("finance@example.org", groups=(FINANCE_GROUP,)),
        "council": make_user("conseil@example.org", groups=(COUNCIL_GROUP,)),
    }[who]
    client.force_login(user)
    assert "Contrat Bob" not in _api_titles(client, "documents")
    images = _api_titles(client, "images")
    assert "Chèvres de Bob" not in images
    assert ("Canoë d'Alice" in images) is (who == "other provider")
    response = client.get(f"/admin/api/main/documents/{contract.pk}/")
    assert response.status_code == 404
    response = client.get(f"/admin/api/main/images/{bob_image.pk}/")
    assert response.status_code == 404


def test_admin_api_lists_own_files_to_the_provider_and_all_to_the_territory(
    client, members, editor, contract, bob_image, alice_image
):
    client.force_login(members[1])
    assert _api_titles(client, "documents") == {"Contrat Bob"}
    assert _api_titles(client, "images") == {"Chèvres de Bob"}
    client.force_login(editor)
    assert "Contrat Bob" in _api_titles(client, "documents")
    assert {"Chèvres de Bob", "Canoë d'Alice"} <= _api_titles(client, "images")


def test_provider_document_is_downloaded_by_its_provider_and_the_territory_only(
    client, members, editor, contract
):
    alice, bob = members[0], members[1]
    url = contract.url
    assert url.startswith("/documents/")

    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"] or "/connexion/" in response["Location"]

    for outsider in (alice, make_user("finance@example.org", groups=(FINANCE_GROUP,))):
        client.force_login(outsider)
        assert client.get(url).status_code in (302, 403)

    for insider in (bob, editor):
        client.force_login(insider)
        response = client.get(url)
        assert response.status_code == 200
        assert b"contrat confidentiel" in b"".join(response.streaming_content)


def test_approving_a_provider_makes_its_collection_private(members, editor):
    from cms.services import EDITORS_GROUP

    theirs = members[3]
    restriction = CollectionViewRestriction.objects.get(collection=theirs.collection)
    assert restriction.restriction_type == CollectionViewRestriction.GROUPS
    names = set(restriction.groups.values_list("name", flat=True))
    # Those who manage the files anyway (Wagtail's default groups hold permissions on
    # the root collection until the territory's setup removes them).
    assert {theirs.group.name, EDITORS_GROUP} <= names
    assert not names & {members[2].group.name, FINANCE_GROUP, COUNCIL_GROUP}


def test_migration_makes_existing_provider_collections_private(members):
    from django.apps import apps

    theirs = members[3]
    CollectionViewRestriction.objects.all().delete()
    migration = importlib.import_module("marketplace.migrations.0008_provider_collections_private")
    migration.provider_collections_private(apps, None)
    migration.provider_collections_private(apps, None)  # idempotent
    restriction = CollectionViewRestriction.objects.get(collection=theirs.collection)
    assert restriction.restriction_type == CollectionViewRestriction.GROUPS
    assert theirs.group in restriction.groups.all()
    assert CollectionViewRestriction.objects.count() == 2


def test_territory_collection_stays_public(client, territory):
    document = Document.objects.create(
        title="Règlement",
        file=ContentFile(b"reglement public", name="reglement.pdf"),
        collection=Collection.get_first_root_node(),
    )
    assert client.get(document.url).status_code == 200


# --- The page body's image blocks -------------------------------------------------------


def _body_with_image(image) -> dict:
    return nested_form_data(
        {
            "body": streamfield(
                [("image", {"image": image.pk, "decorative": False, "alt_text": "Photo"})]
            )
        }
    )


def test_member_cannot_place_other_provider_image_in_the_body(
    client, members, bob_image, alice_image
):
    alice, _bob, mine, _theirs = members
    page = ProviderPage.objects.get(provider=mine)
    url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    client.force_login(alice)

    data = edit_form(client, page)
    response = client.post(url, data | _body_with_image(bob_image))
    assert response.status_code == 200
    assert "body" in response.context["form"].errors
    # In the member's language (French by default).
    assert "Choisissez une de vos propres images." in str(response.context["form"].errors["body"])
    page.refresh_from_db()
    assert not page.get_latest_revision_as_object().body

    response = client.post(url, data | _body_with_image(alice_image))
    assert response.status_code == 302
    page.refresh_from_db()
    body = page.get_latest_revision_as_object().body
    assert body[0].value.pk == alice_image.pk


def test_image_placed_by_editor_in_body_does_not_block_member_edits(client, members, bob_image):
    alice, _bob, mine, _theirs = members
    page = ProviderPage.objects.get(provider=mine)
    page.body = [("image", bob_image)]
    page.save_revision()
    client.force_login(alice)
    data = edit_form(client, page)
    data |= _body_with_image(bob_image)
    data["tagline"] = "Au fil de l'eau"
    response = client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.get_latest_revision_as_object().tagline == "Au fil de l'eau"


# --- Reports ----------------------------------------------------------------------------


def test_page_types_usage_report_hides_other_providers_drafts(client, members, editor):
    alice, _bob, _mine, theirs = members
    page = ProviderPage.objects.get(provider=theirs)
    draft = page.add_child(
        instance=ActivityOfferPage(
            title="Projet secret de Bob",
            slug="secret",
            summary="Pas encore publié.",
            price_per_person=1000,
            live=False,
        )
    )
    draft.save_revision()
    url = reverse("wagtailadmin_reports:page_types_usage_results")

    client.force_login(alice)
    response = client.get(url)
    assert "Projet secret de Bob" not in response.content.decode()
    assert response.status_code in (302, 403)
    assert client.get(reverse("wagtailadmin_reports:page_types_usage")).status_code in (302, 403)
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "page-types-usage" not in menu

    client.force_login(editor)
    response = client.get(url)
    assert response.status_code == 200
    assert "Projet secret de Bob" in response.content.decode()


# --- Public contact address -------------------------------------------------------------


def _jsonld(html: str) -> list[dict]:
    marker = '<script type="application/ld+json">'
    blocks = []
    while marker in html:
        html = html.split(marker, 1)[1]
        text, html = html.split("</script>", 1)
        blocks.append(json.loads(text))
    return blocks


def test_provider_page_publishes_no_private_email(client, members):
    _alice, bob, _mine, theirs = members
    theirs.email = bob.email
    theirs.save()
    page = ProviderPage.objects.get(provider=theirs)
    html = client.get(page.url).content.decode()
    assert bob.email not in html
    assert all("email" not in block for block in _jsonld(html))


def test_provider_page_publishes_the_public_email_it_chose(client, members):
    _alice, bob, _mine, theirs = members
    page = ProviderPage.objects.get(provider=theirs)
    client.force_login(bob)
    data = edit_form(client, page)
    data["public_email"] = "bonjour@ferme-bob.example"
    response = client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    assert response.status_code == 302
    page.refresh_from_db()
    page.get_latest_revision().publish()
    client.logout()
    html = client.get(Page.objects.get(pk=page.pk).url).content.decode()
    assert "mailto:bonjour@ferme-bob.example" in html
    assert [b.get("email") for b in _jsonld(html) if "email" in b] == ["bonjour@ferme-bob.example"]
    assert bob.email not in html


def test_public_email_is_validated(client, members):
    _alice, bob, _mine, theirs = members
    page = ProviderPage.objects.get(provider=theirs)
    client.force_login(bob)
    data = edit_form(client, page)
    data["public_email"] = "pas une adresse"
    response = client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    assert response.status_code == 200
    assert "public_email" in response.context["form"].errors


def test_files_are_found_anywhere_in_a_stream(members, contract, bob_image):
    """Chooser blocks nested in structs and lists, image blocks and rich text all count."""
    from wagtail import blocks
    from wagtail.blocks.base import BlockField
    from wagtail.documents.blocks import DocumentChooserBlock
    from wagtail.images.blocks import ImageBlock, ImageChooserBlock

    from marketplace.admin_forms import _stream_files

    stream = blocks.StreamBlock(
        [
            (
                "section",
                blocks.StructBlock(
                    [
                        ("files", blocks.ListBlock(DocumentChooserBlock())),
                        ("photo", ImageChooserBlock(required=False)),
                    ]
                ),
            ),
            ("image", ImageBlock()),
            ("text", blocks.RichTextBlock()),
        ]
    )
    field = BlockField(block=stream)
    value = stream.to_python(
        [
            {"type": "section", "value": {"files": [contract.pk], "photo": None}},
            {"type": "text", "value": f'<p><embed embedtype="image" id="{bob_image.pk}"/></p>'},
        ]
    )
    assert _stream_files(field, value) == {
        (Document, str(contract.pk)),
        (Image, str(bob_image.pk)),
    }
    assert _stream_files(field, None) == set()
