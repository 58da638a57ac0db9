"""Provider categories and labels: a taxonomy the territory edits in the CMS."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.search import index


class TranslatedNameMixin(models.Model):
    """A name in French (the content language) and an optional English one."""

    name = models.CharField(_("name (French)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        abstract = True

    @property
    def label(self) -> str:
        if self.name_en and (get_language() or "fr").startswith("en"):
            return self.name_en
        return self.name

    def __str__(self):
        return self.label


class ProviderCategory(TranslatedNameMixin, index.Indexed):
    """A kind of local business: campsite, farm, bakery, outdoor activities..."""

    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    panels = [
        FieldPanel("name"),
        FieldPanel("name_en"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("sort_order"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("provider category")
        verbose_name_plural = _("provider categories")


class Label(TranslatedNameMixin, index.Indexed):
    """A quality label or commitment (organic, local produce, accessible...)."""

    description = models.TextField(_("description"), blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("name_en"),
        FieldPanel("slug"),
        FieldPanel("description"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("label")
        verbose_name_plural = _("labels")
