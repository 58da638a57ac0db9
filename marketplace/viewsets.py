"""The territory's admin for providers and their taxonomy (Wagtail viewsets).

Editors (``change_provider``) review applications here: approve or reject, with a
reason. Categories and labels are snippets. Provider members hold none of these model
permissions, so Wagtail hides the menu and refuses the URLs to them.
"""

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import BaseObjectMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button, HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from marketplace.forms import SELLER_HELP_TEXTS
from marketplace.models import Label, Provider, ProviderCategory, ProviderStatus
from marketplace.services import (
    SELLER_IDENTITY_FIELDS,
    ProviderStateError,
    provider_approve,
    provider_reject,
)
from marketplace.stay_tax import stays_not_bookable


class ProviderPermissionPolicy(ModelPermissionPolicy):
    """Django's model permissions, except that nobody adds a provider in the admin.

    A provider comes from an application (its site, slug, applicant and the review
    trail are set by ``provider_apply``), so even superusers get no "Add" button.
    """

    def user_has_permission(self, user, action):
        return action != "add" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return super().user_has_any_permission(user, [a for a in actions if a != "add"])


class ProviderFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=ProviderStatus.choices
    )
    commune = django_filters.ChoiceFilter(label=gettext_lazy("Commune"), choices=[])

    class Meta:
        model = Provider
        fields = ["status", "category", "commune"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        communes = Provider.objects.order_by("commune").values_list("commune", flat=True)
        self.filters["commune"].extra["choices"] = [(c, c) for c in communes.distinct()]


class ProviderRejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (sent to the applicant)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        error_messages={"required": gettext_lazy("Say why the application is rejected.")},
    )


class ProviderIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("category", "site")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.status == ProviderStatus.APPLIED:
            buttons.insert(
                0,
                Button(
                    _("Review application"),
                    url=reverse(self.review_url_name, args=[instance.pk]),
                    icon_name="tasks",
                    priority=5,
                ),
            )
        return buttons

    review_url_name = None


class ProviderEditView(generic.EditView):
    review_url_name = None

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.object.status == ProviderStatus.APPLIED:
            buttons.append(
                HeaderButton(
                    _("Review application"),
                    url=reverse(self.review_url_name, args=[self.object.pk]),
                    icon_name="tasks",
                )
            )
        return buttons


class ProviderReviewView(
    generic.PermissionCheckedMixin, generic.WagtailAdminTemplateMixin, BaseObjectMixin, TemplateView
):
    """One application: its details, then approve it or reject it with a reason."""

    permission_required = "change"
    template_name = "marketplace/admin/provider_review.html"
    index_url_name = None
    edit_url_name = None
    header_icon = "tasks"
    page_title = gettext_lazy("Review application")

    def get_page_subtitle(self):
        return self.object.name

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": Provider._meta.verbose_name_plural},
            {"url": "", "label": self.get_page_title(), "sublabel": self.object.name},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("reject_form", ProviderRejectForm())
        context.update(
            provider=self.object,
            edit_url=reverse(self.edit_url_name, args=[self.object.pk]),
            is_pending=self.object.status == ProviderStatus.APPLIED,
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        try:
            if action == "approve":
                provider_approve(provider=self.object, by=request.user)
                messages.success(request, _("%(name)s is approved.") % {"name": self.object})
            elif action == "reject":
                form = ProviderRejectForm(request.POST)
                if not form.is_valid():
                    messages.error(request, _("The application was not rejected."))
                    return self.render_to_response(self.get_context_data(reject_form=form))
                provider_reject(
                    provider=self.object, by=request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("%(name)s is rejected.") % {"name": self.object})
            else:
                return redirect(request.path)
        except ProviderStateError:
            self.object.refresh_from_db()
            messages.error(
                request,
                _("This application is already %(status)s.")
                % {"status": self.object.get_status_display().lower()},
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(self.index_url_name)


class ProviderViewSet(ModelViewSet):
    model = Provider
    name = "providers"
    icon = "group"
    menu_label = gettext_lazy("Providers")
    menu_order = 100
    add_to_admin_menu = False
    copy_view_enabled = False
    inspect_view_enabled = True
    index_view_class = ProviderIndexView
    edit_view_class = ProviderEditView
    filterset_class = ProviderFilterSet
    search_fields = ["name", "legal_name", "commune", "siret", "email", "contact_name"]
    search_backend_name = None
    list_display = [
        "name",
        Column("category", label=gettext_lazy("Category")),
        "commune",
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display"),
        DateColumn("applied_at", label=gettext_lazy("Applied at")),
    ]
    list_export = ["name", "legal_name", "siret", "category", "commune", "status", "email"]
    ordering = ["status", "name"]
    # The lifecycle (status, members, admin scoping) changes through the review view
    # and the services, never by editing fields.
    form_fields = [
        "name",
        "legal_name",
        "category",
        "labels",
        "commune",
        "address",
        "postcode",
        "latitude",
        "longitude",
        "siret",
        *SELLER_IDENTITY_FIELDS,
        "is_professional",
        "classification",
        "contact_name",
        "email",
        "phone",
        "website",
        "description",
    ]

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(review_url_name=self.get_url_name("review"), **kwargs)

    def formfield_for_dbfield(self, db_field, **kwargs):
        # A website typed without its scheme is taken as https (Django 6's default,
        # said here rather than by the transitional FORMS_URLFIELD_ASSUME_HTTPS setting).
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")
        if db_field.name in SELLER_HELP_TEXTS:
            kwargs.setdefault("help_text", SELLER_HELP_TEXTS[db_field.name])
        return super().formfield_for_dbfield(db_field, **kwargs)

    def get_edit_view_kwargs(self, **kwargs):
        return super().get_edit_view_kwargs(review_url_name=self.get_url_name("review"), **kwargs)

    @property
    def review_view(self):
        return self.construct_view(ProviderReviewView)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("review/<id:pk>/", self.review_view, name="review"),
        ]


class ProviderCategoryViewSet(SnippetViewSet):
    model = ProviderCategory
    icon = "tag"
    menu_label = gettext_lazy("Categories")
    list_display = ["name", "name_en", "slug", "sort_order"]
    search_fields = ["name", "name_en"]
    search_backend_name = None
    ordering = ["sort_order", "name"]


class LabelViewSet(SnippetViewSet):
    model = Label
    icon = "pick"
    menu_label = gettext_lazy("Labels")
    list_display = ["name", "name_en", "slug"]
    search_fields = ["name", "name_en"]
    search_backend_name = None


class TerritoryViewSetGroup(SnippetViewSetGroup):
    """The "Territoire" menu: providers, their categories and labels."""

    menu_label = gettext_lazy("Territory")
    menu_icon = "site"
    menu_order = 200
    items = (ProviderViewSet, ProviderCategoryViewSet, LabelViewSet)


class PendingApplicationsPanel(Component):
    """Dashboard panel for those who review applications: the ones waiting."""

    name = "pending_applications"
    order = 90
    template_name = "marketplace/admin/pending_applications_panel.html"

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        pending = Provider.objects.filter(status=ProviderStatus.APPLIED)
        context["applications"] = list(
            pending.select_related("category").order_by("applied_at")[:10]
        )
        context["total"] = pending.count()
        return context


class StaysWithoutTaxRatePanel(Component):
    """Dashboard panel for finance: stays that cannot be booked today for want of a
    tourist tax rate or category (:func:`marketplace.stay_tax.stays_not_bookable`)."""

    name = "stays_without_tax_rate"
    order = 80
    template_name = "marketplace/admin/stays_without_tax_rate_panel.html"

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        stays = stays_not_bookable()
        context["stays"] = stays[:20]
        context["total"] = len(stays)
        return context
