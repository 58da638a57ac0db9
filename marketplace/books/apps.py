"""The books' Django app: label ``books``, registers the ledger's figures at start."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BooksConfig(AppConfig):
    name = "marketplace.books"
    label = "books"
    verbose_name = _("Books")

    def ready(self):
        # Imported here, not at the top: the selectors import the models, which need the
        # app registry ready.
        from commissions.transparency import register_distributed_source
        from marketplace.books.selectors import beneficiary_earnings

        # The public transparency page shows what the ledger says each beneficiary earned.
        register_distributed_source(beneficiary_earnings)
