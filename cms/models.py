"""Storefront pages. They render; selectors and services of the other apps do the work."""

from allauth.core import ratelimit
from django.conf import settings
from django.db import models
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.mail import send_mail
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    PageChooserPanel,
)
from wagtail.contrib.forms.models import AbstractEmailForm, AbstractFormField
from wagtail.contrib.forms.panels import FormSubmissionsPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index
from wagtail_localize.fields import BaseTranslatableField, SynchronizedField

from cms.blocks import EditorialStreamBlock
from cms.contact import HONEYPOT, ContactFormBuilder
from cms.views import (
    home_context,
    offer_index_context,
    provider_index_context,
    provider_page_context,
)
from commissions.transparency import transparency_data
from marketplace.admin_forms import CollectionScopedPageForm
from marketplace.books.flows import transparency_flows
from marketplace.localisation import LocalisedPage
from marketplace.models import TerritorySettings

# A page has the same path in every language (the language switcher swaps the prefix).
SYNCHRONISED_SLUG = SynchronizedField("slug", overridable=False)


class SeoMixin(LocalisedPage, models.Model):
    """Pages carry a proper title and meta description (Wagtail's promote tab), and may
    be translated (``marketplace.localisation``)."""

    override_translatable_fields = [SYNCHRONISED_SLUG]

    class Meta:
        abstract = True

    def get_meta_description(self) -> str:
        return self.search_description or ""


class HomePage(SeoMixin, Page):
    """The territory's front page: featured offers, categories, map, editorial content."""

    intro = models.CharField(_("introduction"), max_length=300, blank=True)
    body = StreamField(EditorialStreamBlock(), verbose_name=_("content"), blank=True)

    max_count_per_parent = 1
    parent_page_types = ["wagtailcore.Page"]
    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        InlinePanel(
            "featured_offers", label=_("Featured offer"), heading=_("Featured offers"), max_num=12
        ),
        FieldPanel("body"),
    ]

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(home_context(request=request, page=self))
        return context


class FeaturedOffer(Orderable):
    page = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="featured_offers")
    offer = models.ForeignKey(
        "marketplace.OfferPage", verbose_name=_("offer"), on_delete=models.CASCADE, related_name="+"
    )
    panels = [PageChooserPanel("offer", ["marketplace.OfferPage"])]


class OfferIndexPage(SeoMixin, Page):
    """The searchable catalogue (``/offres/``)."""

    intro = models.CharField(_("introduction"), max_length=300, blank=True)

    max_count_per_parent = 1
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    content_panels = Page.content_panels + [FieldPanel("intro")]

    class Meta:
        verbose_name = _("offer index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(offer_index_context(request=request, page=self))
        return context


class ProviderIndexPage(SeoMixin, Page):
    """Parent of the providers' pages (``/prestataires/``)."""

    intro = models.CharField(_("introduction"), max_length=300, blank=True)

    max_count_per_parent = 1
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ProviderPage"]
    content_panels = Page.content_panels + [FieldPanel("intro")]

    class Meta:
        verbose_name = _("provider index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(provider_index_context(request=request, page=self))
        return context


class ProviderPage(SeoMixin, Page):
    """A provider's public page; its offers are its children.

    Created by the approval service; the provider's members edit it and its subtree.
    """

    # Only the source page (French) names its provider: ``provider.page`` is that one.
    # Its translations and aliases have none (``save``) and show the source's.
    provider = models.OneToOneField(
        "marketplace.Provider",
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="page",
        null=True,
        blank=True,
    )
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    body = StreamField(EditorialStreamBlock(), verbose_name=_("presentation"), blank=True)
    # The provider's contact e-mail (``Provider.email``) is the applicant's, often a
    # member's login: only this one, chosen for the public, is shown and published.
    public_email = models.EmailField(
        _("public e-mail"),
        blank=True,
        help_text=_(
            "Shown on your public page for visitors to write to you. "
            "Leave empty to show no e-mail address."
        ),
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("photo or logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    base_form_class = CollectionScopedPageForm
    parent_page_types = ["cms.ProviderIndexPage"]
    subpage_types = [
        "marketplace.StayOfferPage",
        "marketplace.ActivityOfferPage",
        "marketplace.ProductOfferPage",
    ]
    content_panels = Page.content_panels + [
        FieldPanel("tagline"),
        FieldPanel("public_email"),
        FieldPanel("logo"),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [index.SearchField("tagline")]
    override_translatable_fields = [
        SYNCHRONISED_SLUG,
        # Neither translated nor copied: a translation names no provider.
        BaseTranslatableField("provider"),
        SynchronizedField("public_email", overridable=False),
        SynchronizedField("logo", overridable=False),
    ]

    class Meta:
        verbose_name = _("provider page")

    def save(self, *args, **kwargs):
        # Wagtail copies every field into a translation or an alias (and again on each
        # publication of the source): only the source keeps the provider.
        if self.provider_id and (self.alias_of_id or not self.is_source_locale()):
            self.provider = None
        return super().save(*args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(provider_page_context(request=request, page=self))
        return context


class StandardPage(SeoMixin, Page):
    """Editorial page: about, legal notice, accessibility statement..."""

    intro = models.CharField(_("introduction"), max_length=300, blank=True)
    body = StreamField(EditorialStreamBlock(), verbose_name=_("content"), blank=True)

    parent_page_types = ["cms.HomePage", "cms.StandardPage"]
    subpage_types = ["cms.StandardPage"]
    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("body")]

    class Meta:
        verbose_name = _("standard page")


class TransparencyPage(SeoMixin, Page):
    """The public account of the commission: live rules, who gets what, and their history."""

    intro = models.CharField(_("introduction"), max_length=300, blank=True)
    body = StreamField(EditorialStreamBlock(), verbose_name=_("content"), blank=True)

    max_count_per_parent = 1
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]

    class Meta:
        verbose_name = _("transparency page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        site = self.get_site()
        show_names = TerritorySettings.for_site(site).transparency_show_names
        context.update(transparency_data(site=site, show_names=show_names))
        # Credited and paid out per beneficiary and commune, for the year asked for.
        year = request.GET.get("year", "")
        year = int(year) if year.isascii() and year.isdigit() and len(year) == 4 else None
        context.update(transparency_flows(site=site, year=year))
        return context


class ContactFormField(AbstractFormField):
    """A field of the contact form, as the territory built it in the CMS."""

    page = ParentalKey("ContactPage", on_delete=models.CASCADE, related_name="form_fields")


class ContactPage(SeoMixin, AbstractEmailForm):
    """The territory's contact form (Wagtail's form builder): each message is stored
    (Forms, in the admin) and e-mailed to the addresses the territory gives. Robots are
    kept out by a honeypot and a rate limit (:mod:`cms.contact`)."""

    intro = RichTextField(_("introduction"), blank=True)
    thank_you_text = RichTextField(
        _("thank-you text"), blank=True, help_text=_("Shown once a message is sent.")
    )

    form_builder = ContactFormBuilder
    max_count_per_parent = 1
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    content_panels = AbstractEmailForm.content_panels + [
        FormSubmissionsPanel(),
        FieldPanel("intro"),
        InlinePanel("form_fields", label=_("Form fields")),
        FieldPanel("thank_you_text"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("from_address"), FieldPanel("to_address")]),
                FieldPanel("subject"),
            ],
            heading=_("E-mail to the territory"),
        ),
    ]

    class Meta:
        verbose_name = _("contact page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["honeypot"] = HONEYPOT
        return context

    def serve(self, request, *args, **kwargs):
        """Wagtail's form page, with the honeypot (a robot gets the thank-you page,
        nothing is kept) and the rate limit (a form error, nothing is kept)."""
        if request.method != "POST":
            return super().serve(request, *args, **kwargs)
        form = self.get_form(request.POST, request.FILES, page=self, user=request.user)
        status = 200
        if form.is_valid():
            if form.is_spam:
                return self.render_landing_page(request, None, *args, **kwargs)
            if ratelimit.consume(request, action="contact"):
                submission = self.process_form_submission(form)
                return self.render_landing_page(request, submission, *args, **kwargs)
            form.add_error(
                None,
                gettext("Too many messages in a short time: wait a few minutes, then try again."),
            )
            status = 429
        context = self.get_context(request)
        context["form"] = form
        return TemplateResponse(request, self.get_template(request), context, status=status)

    def send_mail(self, form):
        """The message to the territory, its replies going to the sender's address."""
        reply_to = [
            form.cleaned_data[field.clean_name]
            for field in self.get_form_fields()
            if field.field_type == "email" and form.cleaned_data.get(field.clean_name)
        ]
        with translation.override(settings.LANGUAGE_CODE):
            subject = self.subject or gettext("Message from the contact page")
            body = self.render_email(form)
        send_mail(
            subject,
            body,
            [address.strip() for address in self.to_address.split(",")],
            self.from_address or settings.DEFAULT_FROM_EMAIL,
            reply_to=reply_to[:1] or None,
        )
