"""Admin views of the commission module: snippet views that refuse ties before publishing."""

import dataclasses

from wagtail.snippets.views.snippets import CreateView, EditView

from commissions.engine import Scope
from commissions.preview_views import PreviewLinkMixin


def form_rule_spec(form):
    """The engine's view of the rule as submitted (scope from the form's cleaned data)."""
    data = form.cleaned_data
    spec = form.instance.to_spec()
    return dataclasses.replace(
        spec,
        scope=Scope(
            providers=frozenset(p.slug for p in data.get("providers") or ()),
            categories=frozenset(c.slug for c in data.get("categories") or ()),
            labels=frozenset(label.slug for label in data.get("labels") or ()),
            communes=frozenset(data.get("communes") or ()),
            kinds=frozenset(data.get("kinds") or ()),
            season=spec.scope.season,
        ),
    )


class RuleTieCheckMixin:
    """On publish or submit for approval, a tie with another rule (live, scheduled or
    awaiting approval) is a form error naming it."""

    def is_valid(self, form):
        valid = super().is_valid(form)
        if valid and self.action in ("publish", "submit"):
            from commissions.services import rule_tie_error, rule_ties

            ties = rule_ties(
                site_id=form.instance.site_id,
                spec=form_rule_spec(form),
                exclude_pk=form.instance.pk,
            )
            if ties:
                form.add_error(None, rule_tie_error(ties))
                self.produced_error_code = "validation_error"
                self.produced_error_message = form.non_field_errors()[0]
                return False
        return valid


class RuleCreateView(RuleTieCheckMixin, CreateView):
    pass


class RuleEditView(PreviewLinkMixin, RuleTieCheckMixin, EditView):
    pass


class KeyEditView(PreviewLinkMixin, EditView):
    pass


class BeneficiaryEditView(PreviewLinkMixin, EditView):
    pass
