"""Money fields live with the money module in ``commissions``; kept here for migrations."""

from commissions.fields import CentsField, EuroFormField

__all__ = ["CentsField", "EuroFormField"]
