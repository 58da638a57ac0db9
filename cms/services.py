"""Writes of the storefront: the territory's page tree and the provider pages."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.dispatch import receiver
from django.utils.text import slugify
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Locale,
    Page,
    Site,
)
from wagtail.signals import copy_for_translation_done
from wagtail_localize.models import StringSegment, StringTranslation, Translation, TranslationSource
from wagtail_localize.operations import TranslationCreator

from cms.models import (
    ContactFormField,
    ContactPage,
    HomePage,
    OfferIndexPage,
    ProviderIndexPage,
    ProviderPage,
    TransparencyPage,
)
from commissions.governance import commission_permissions_ensure
from marketplace.books.permissions import ledger_permissions_ensure
from marketplace.models import Provider
from marketplace.payouts.permissions import bank_account_permissions_ensure
from marketplace.services import (
    DOCUMENT_PERMISSIONS,
    IMAGE_PERMISSIONS,
    offer_workflow_ensure,
    provider_approved,
    provider_collection_private,
    provider_permissions_ensure,
)
from marketplace.tourist_tax.permissions import tourist_tax_permissions_ensure

EDITORS_GROUP = "Éditeurs du territoire"
FINANCE_GROUP = "Finances du territoire"
COUNCIL_GROUP = "Conseil"
PROVIDER_PAGE_PERMISSIONS = ("add", "change", "lock", "unlock")


@transaction.atomic
def territory_setup(
    *,
    hostname: str = "localhost",
    port: int = 80,
    site_name: str = "Comptoir",
    home_title: str = "Accueil",
) -> Site:
    """Create (or complete) a territory: its site, home page, catalogue and groups.

    Idempotent. The first territory replaces Wagtail's default welcome page.
    """
    root = Page.get_first_root_node()
    site = (
        Site.objects.filter(hostname=hostname, port=port).first()
        or Site.objects.filter(is_default_site=True).first()
    )
    home = site.root_page.specific if site else None
    if not isinstance(home, HomePage):
        home = root.add_child(
            instance=HomePage(title=home_title, slug=slugify(site_name) or "accueil")
        )
        old_root = site.root_page if site else None
        if site is None:
            site = Site(hostname=hostname, port=port, is_default_site=not Site.objects.exists())
        site.root_page = home
        site.site_name = site_name
        site.hostname = hostname
        site.port = port
        site.save()
        if old_root is not None and old_root.depth == 2 and not old_root.get_children().exists():
            if old_root.specific_class is Page:
                old_root.delete()

    if not OfferIndexPage.objects.child_of(home).exists():
        home.add_child(instance=OfferIndexPage(title="Offres", slug="offres"))
    provider_index = ProviderIndexPage.objects.child_of(home).first()
    if provider_index is None:
        provider_index = home.add_child(
            instance=ProviderIndexPage(title="Prestataires", slug="prestataires")
        )

    if not TransparencyPage.objects.child_of(home).exists():
        home.add_child(
            instance=TransparencyPage(
                title="Transparence",
                slug="transparence",
                intro=(
                    "Les règles de commission du territoire, ceux qui en reçoivent le produit, "
                    "et l'historique de leurs changements."
                ),
            )
        )

    contact_page_ensure(home=home)
    groups_setup(home=home)
    offer_workflow_ensure(page=provider_index, approvers=Group.objects.get(name=EDITORS_GROUP))
    finance = Group.objects.get(name=FINANCE_GROUP)
    commission_permissions_ensure(finance=finance, council=Group.objects.get(name=COUNCIL_GROUP))
    ledger_permissions_ensure(finance=finance)
    tourist_tax_permissions_ensure(finance=finance)
    bank_account_permissions_ensure(finance=finance)
    booking_permissions_ensure(editors=Group.objects.get(name=EDITORS_GROUP), finance=finance)
    for provider in Provider.objects.filter(site=site, group__isnull=False).select_related("group"):
        provider_permissions_ensure(provider=provider)
        provider_collection_private(provider=provider)
    return site


# The contact form a territory starts with (label, type, required, help text); it edits
# them in the CMS. French, the territory's first language.
CONTACT_FIELDS = [
    ("Nom", "singleline", True, ""),
    ("Adresse e-mail", "email", True, "Nous vous répondons à cette adresse."),
    ("Objet", "singleline", True, ""),
    ("Message", "multiline", True, ""),
]


def contact_page_ensure(*, home: HomePage, to_address: str = "") -> ContactPage:
    """The territory's contact page under ``home``, with a name, e-mail, subject and
    message form, created once (editors change it in the CMS afterwards). Messages are
    stored, and e-mailed to ``to_address`` when the page has no recipient yet."""
    page = ContactPage.objects.child_of(home).first()
    if page is None:
        page = ContactPage(
            title="Contact",
            slug="contact",
            intro=(
                "<p>Une question sur une réservation, un prestataire ou le fonctionnement "
                "du site ? Écrivez-nous : nous vous répondons par e-mail.</p>"
            ),
            thank_you_text=(
                "<p>Merci, votre message a bien été envoyé. Nous vous répondons par "
                "e-mail dans les meilleurs délais.</p>"
            ),
            subject="Message envoyé depuis la page de contact",
            to_address=to_address,
            search_description="Écrire au territoire : une question, une remarque.",
        )
        page.form_fields = [
            ContactFormField(
                sort_order=order, label=label, field_type=kind, required=required, help_text=help
            )
            for order, (label, kind, required, help) in enumerate(CONTACT_FIELDS)
        ]
        home.add_child(instance=page)
    elif to_address and not page.to_address and not page.has_unpublished_changes:
        page = page.get_latest_revision_as_object()
        page.to_address = to_address
        page.save_revision(clean=False).publish()
    return page


# Territory staff read every order and booking of their territory (see
# marketplace.orders.access); only a provider's members cancel a booking.
STAFF_BOOKING_PERMISSIONS = ("view_order", "view_booking")


def booking_permissions_ensure(*, editors: Group, finance: Group) -> None:
    """Let the editors (visitor and provider support) and finance search orders and bookings.

    Idempotent.
    """
    permissions = Permission.objects.filter(
        content_type__app_label="marketplace", codename__in=STAFF_BOOKING_PERMISSIONS
    )
    editors.permissions.add(*permissions)
    finance.permissions.add(*permissions)


def groups_setup(*, home: Page) -> None:
    """The territory's staff groups and their permissions."""
    access_admin = Permission.objects.get(
        codename="access_admin", content_type__app_label="wagtailadmin"
    )
    editors, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    editors.permissions.add(
        access_admin,
        # Submit pages and offers for translation (wagtail-localize).
        *Permission.objects.filter(
            content_type__app_label="wagtail_localize", codename="submit_translation"
        ),
        *Permission.objects.filter(
            content_type__app_label="marketplace",
            codename__in=[
                "view_provider",
                "change_provider",
                "add_providercategory",
                "change_providercategory",
                "delete_providercategory",
                "add_label",
                "change_label",
                "delete_label",
            ],
        ),
        *Permission.objects.filter(
            content_type__app_label__in=["wagtailimages", "wagtaildocs"],
            codename__in=[
                "add_image",
                "change_image",
                "choose_image",
                "add_document",
                "change_document",
                "choose_document",
            ],
        ),
    )
    # Wagtail checks image and document permissions per collection: the root
    # collection covers the territory's own and every provider's collection.
    root_collection = Collection.get_first_root_node()
    for codename in IMAGE_PERMISSIONS + DOCUMENT_PERMISSIONS:
        GroupCollectionPermission.objects.get_or_create(
            group=editors,
            collection=root_collection,
            permission=Permission.objects.get(codename=codename),
        )
    for permission_type in ("add", "change", "publish", "lock", "unlock", "bulk_delete"):
        GroupPagePermission.objects.get_or_create(
            group=editors,
            page=home,
            permission=Permission.objects.get(
                codename=f"{permission_type}_page", content_type__app_label="wagtailcore"
            ),
        )
    for name in (FINANCE_GROUP, COUNCIL_GROUP):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(access_admin)


def provider_index_for_site(site: Site) -> ProviderIndexPage:
    return ProviderIndexPage.objects.descendant_of(site.root_page).get()


@receiver(provider_approved)
def provider_page_ensure(sender, *, provider: Provider, by=None, **kwargs) -> ProviderPage:
    """Create the approved provider's public page and scope its group to that subtree."""
    page = ProviderPage.objects.filter(provider=provider).first()
    if page is None:
        index = provider_index_for_site(provider.site)
        page = index.add_child(
            instance=ProviderPage(
                title=provider.name,
                slug=provider.slug,
                provider=provider,
                search_description=provider.description[:255],
                owner=by,
            )
        )
        page.save_revision(user=by).publish(user=by)
    elif not page.live:
        page.get_latest_revision().publish(user=by)
    for permission_type in PROVIDER_PAGE_PERMISSIONS:
        GroupPagePermission.objects.get_or_create(
            group=provider.group,
            page=page,
            permission=Permission.objects.get(
                codename=f"{permission_type}_page", content_type__app_label="wagtailcore"
            ),
        )
    return page


@receiver(copy_for_translation_done)
def home_translation_permissions(sender, *, source_obj, target_obj, **kwargs) -> None:
    """The groups that edit a territory's home edit its translations' trees too (the
    home of each language is a page of its own, beside the source one)."""
    if not isinstance(source_obj, HomePage):
        return
    for permission in GroupPagePermission.objects.filter(page=source_obj):
        GroupPagePermission.objects.get_or_create(
            group_id=permission.group_id, page=target_obj, permission_id=permission.permission_id
        )


@transaction.atomic
def page_translation_publish(*, page: Page, language: str, texts: dict[str, str], user=None):
    """Translate ``page`` into ``language`` through wagtail-localize and publish it.

    ``texts`` gives the translation of the page's fields by their path (``title``,
    ``summary``...; a rich text's first paragraph), or of a French string itself (a
    block's text); what is left out keeps the source's text. The translation is what an
    editor would make in wagtail-localize's editor: a translation record, its strings,
    then publication (after the transaction commits). Returns the translated page.
    """
    page = page.specific
    locale = Locale.objects.get(language_code=language)
    # The source's text as it is now (a page translated before may have changed).
    source, _created = TranslationSource.update_or_create_from_instance(page)
    TranslationCreator(user, [locale]).create_translations(page)
    translation = Translation.objects.get(source=source, target_locale=locale)
    done = set()
    segments = StringSegment.objects.filter(source=source).select_related("context", "string")
    for segment in segments:
        path = segment.context.path
        text = texts.get(path) if path not in done else None
        text = text or texts.get(segment.string.data)
        if text:
            done.add(path)
            StringTranslation.objects.update_or_create(
                translation_of_id=segment.string_id,
                locale=locale,
                context_id=segment.context_id,
                defaults={
                    "data": text,
                    "translation_type": StringTranslation.TRANSLATION_TYPE_MANUAL,
                    "last_translated_by": user,
                },
            )
    translation.save_target(user=user, publish=True)
    return page.get_translation(locale)
