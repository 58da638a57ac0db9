"""Public views of the marketplace: "Devenir partenaire" (apply to become a provider)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from marketplace.forms import ProviderApplicationForm
from marketplace.models import Provider
from marketplace.services import ProviderStateError, provider_apply, provider_pending_for_user
from marketplace.web import site_for_request


@login_required
@require_http_methods(["GET", "POST"])
def provider_apply_view(request):
    """The application form, or the status of the application already waiting."""
    pending = provider_pending_for_user(user=request.user)
    if pending is not None:
        return TemplateResponse(
            request, "marketplace/provider_apply_status.html", {"provider": pending}
        )

    form = ProviderApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            provider_apply(site=site_for_request(request), user=request.user, data=data)
        except ProviderStateError:
            # A concurrent submit won the race: show the application that exists.
            return redirect("provider_apply")
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you: your application has been sent."))
            return redirect("provider_apply")

    others = Provider.objects.filter(applied_by=request.user).order_by("-applied_at")
    return TemplateResponse(
        request,
        "marketplace/provider_apply.html",
        {"form": form, "previous_applications": others},
    )
