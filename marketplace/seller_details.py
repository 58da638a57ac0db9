"""*My seller details*: a provider's members complete what the DAC7 report needs.

The territory reports every year the sellers it paid (:mod:`marketplace.books.dac7`):
their legal form, names and date of birth for an individual, tax number, VAT number.
The territory's editors edit them with the rest of the provider (``ProviderViewSet``);
a provider's members, who hold no permission on providers, edit only these fields of
their own providers here. Another provider's id is a 404. The dashboard's panel and the
yearly e-mail (:mod:`marketplace.books.dac7_notify`) link to this page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.log_actions import log

from marketplace.books.dac7 import missing_labels, seller_missing
from marketplace.forms import SellerDetailsForm
from marketplace.members import MemberMenuItem, member_provider_ids
from marketplace.models import Provider


class _Titled:
    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]


class SellerDetailsIndexView(_Titled, WagtailAdminTemplateMixin, TemplateView):
    """The providers one is a member of, each with what the tax report still lacks."""

    template_name = "marketplace/admin/seller_details_index.html"
    page_title = gettext_lazy("My seller details")
    header_icon = "user"

    def dispatch(self, request, *args, **kwargs):
        if not member_provider_ids(user=request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        providers = Provider.objects.filter(pk__in=member_provider_ids(user=self.request.user))
        context["rows"] = [
            {
                "provider": provider,
                "missing": missing_labels(seller_missing(provider)),
                "url": reverse("seller_details:provider", args=[provider.pk]),
            }
            for provider in providers.order_by("name", "pk")
        ]
        return context


class SellerDetailsView(_Titled, WagtailAdminTemplateMixin, FormView):
    """One provider's seller identity: what the territory already holds, and the form."""

    template_name = "marketplace/admin/seller_details.html"
    page_title = gettext_lazy("My seller details")
    header_icon = "user"
    form_class = SellerDetailsForm

    def dispatch(self, request, *args, provider_id: int, **kwargs):
        if provider_id not in member_provider_ids(user=request.user):
            raise Http404
        self.provider = Provider.objects.get(pk=provider_id)
        # What is saved, before a posted form (valid or not) changes the instance.
        self.missing = seller_missing(self.provider)
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.provider.name

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.provider}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            provider=self.provider,
            missing=missing_labels(self.missing),
        )
        return context

    def form_valid(self, form):
        provider = form.save()
        log(instance=provider, action="wagtail.edit", user=self.request.user)
        if seller_missing(provider):
            messages.warning(
                self.request,
                _("Saved. Some details the tax report needs are still missing."),
            )
        else:
            messages.success(self.request, _("Your seller details are complete. Thank you."))
        return redirect("seller_details:provider", provider.pk)


class SellerDetailsViewSet(ViewSet):
    name = "seller_details"
    icon = "user"
    menu_label = gettext_lazy("My seller details")
    menu_order = 163
    add_to_admin_menu = True
    menu_item_class = MemberMenuItem

    def get_urlpatterns(self):
        return [
            path("", SellerDetailsIndexView.as_view(), name="index"),
            path("<id:provider_id>/", SellerDetailsView.as_view(), name="provider"),
        ]
