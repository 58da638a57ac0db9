"""Size limits on uploaded documents and images, in every admin upload path.

``WAGTAILDOCS_MAX_UPLOAD_SIZE`` and ``WAGTAILIMAGES_MAX_UPLOAD_SIZE`` (bytes, from the
environment variables of the same names) bound what an admin user (a provider's member
included) can store. A file one byte over is refused with Wagtail's message, in the
user's language, and nothing is stored: no document or image row, no pending upload,
no file on disk.
"""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, UploadedFile

from tests.config.test_settings import manage

TOO_BIG_FR = "Ce fichier est trop gros"
TOO_BIG_EN = "This file is too big"


def oversized_document(limit: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("contrat.pdf", b"%PDF-1.4\n" + b"0" * limit, "application/pdf")


def oversized_image(limit: int) -> SimpleUploadedFile:
    """A valid PNG made bigger than ``limit`` by bytes after its end (which readers skip)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, format="PNG")
    content = buffer.getvalue()
    return SimpleUploadedFile("photo.png", content + b"\0" * (limit + 1 - len(content)))


def nothing_stored(settings) -> bool:
    files = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    return (
        not get_document_model().objects.exists()
        and not get_image_model().objects.exists()
        and not UploadedFile.objects.exists()
        and files == []
    )


@pytest.fixture
def admin_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def root_collection(territory):
    return Collection.get_first_root_node()


# --- documents -------------------------------------------------------------------------


def test_documents_have_a_size_limit(settings):
    assert settings.WAGTAILDOCS_MAX_UPLOAD_SIZE == 10 * 1024 * 1024


def test_an_oversized_document_is_refused_and_not_stored(admin_client, root_collection, settings):
    response = admin_client.post(
        "/admin/documents/add/",
        {
            "title": "Contrat",
            "collection": root_collection.pk,
            "file": oversized_document(settings.WAGTAILDOCS_MAX_UPLOAD_SIZE),
        },
    )
    assert response.status_code == 200  # the form again, with its error
    assert TOO_BIG_FR in response.content.decode()
    assert "10,0" in response.content.decode()  # the limit, in megabytes (10,0 Mo)
    assert nothing_stored(settings)


def test_an_oversized_document_is_refused_by_the_multiple_uploader(
    admin_client, root_collection, settings
):
    response = admin_client.post(
        "/admin/documents/multiple/add/",
        {
            "collection": root_collection.pk,
            "files[]": oversized_document(settings.WAGTAILDOCS_MAX_UPLOAD_SIZE),
        },
    )
    assert response.status_code == 200
    assert response.json()["success"] is False
    assert TOO_BIG_FR in response.json()["error_message"]
    assert nothing_stored(settings)


def test_an_oversized_document_is_refused_by_the_chooser(admin_client, root_collection, settings):
    response = admin_client.post(
        "/admin/documents/chooser/create/",
        {
            "document-chooser-upload-title": "Contrat",
            "document-chooser-upload-collection": root_collection.pk,
            "document-chooser-upload-file": oversized_document(
                settings.WAGTAILDOCS_MAX_UPLOAD_SIZE
            ),
        },
    )
    assert response.status_code == 200
    assert TOO_BIG_FR in response.json()["htmlFragment"]
    assert nothing_stored(settings)


def test_the_refusal_is_in_the_users_language(admin_client, editor, root_collection, settings):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(editor)
    profile.preferred_language = "en"
    profile.save()
    response = admin_client.post(
        "/admin/documents/multiple/add/",
        {
            "collection": root_collection.pk,
            "files[]": oversized_document(settings.WAGTAILDOCS_MAX_UPLOAD_SIZE),
        },
    )
    assert TOO_BIG_EN in response.json()["error_message"]
    assert nothing_stored(settings)


def test_a_document_within_the_limit_is_stored(admin_client, root_collection, settings):
    response = admin_client.post(
        "/admin/documents/add/",
        {
            "title": "Tarifs",
            "collection": root_collection.pk,
            "file": SimpleUploadedFile("tarifs.pdf", b"%PDF-1.4\n", "application/pdf"),
        },
    )
    assert response.status_code == 302
    assert get_document_model().objects.get().title == "Tarifs"


# --- images ----------------------------------------------------------------------------


def test_an_oversized_image_is_refused_and_not_stored(admin_client, root_collection, settings):
    response = admin_client.post(
        "/admin/images/add/",
        {
            "title": "Photo",
            "collection": root_collection.pk,
            "file": oversized_image(settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE),
        },
    )
    assert response.status_code == 200
    assert TOO_BIG_FR in response.content.decode()
    assert nothing_stored(settings)


def test_an_oversized_image_is_refused_by_the_multiple_uploader(
    admin_client, root_collection, settings
):
    response = admin_client.post(
        "/admin/images/multiple/add/",
        {
            "collection": root_collection.pk,
            "files[]": oversized_image(settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE),
        },
    )
    assert response.json()["success"] is False
    assert TOO_BIG_FR in response.json()["error_message"]
    assert nothing_stored(settings)


def test_the_limits_come_from_the_environment(tmp_path):
    code = (
        "from django.conf import settings; "
        "print(settings.WAGTAILDOCS_MAX_UPLOAD_SIZE, settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE)"
    )
    env = {"WAGTAILDOCS_MAX_UPLOAD_SIZE": "2000000", "WAGTAILIMAGES_MAX_UPLOAD_SIZE": "3000000"}
    result = manage("shell", "--verbosity=0", "-c", code, env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2000000", "3000000"]

    result = manage("check", env={"WAGTAILDOCS_MAX_UPLOAD_SIZE": "10M"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "WAGTAILDOCS_MAX_UPLOAD_SIZE must be a whole number" in result.stderr
