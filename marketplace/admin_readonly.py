"""Read-only admin viewsets: records that the admin shows but never changes.

Orders, bookings (cms) and ledger transactions (payments) are written by services only;
their viewsets have an index and an inspect view and no add, edit, delete, copy, history
or usage URL, so not even a superuser reaches such a view.
"""

from django.urls import path


class ReadOnlyViewSetMixin:
    """For a ``ModelViewSet``: index, its results and inspect are the only URLs."""

    add_to_reference_index = False
    copy_view_enabled = False
    inspect_view_enabled = True

    def get_common_view_kwargs(self, **kwargs):
        # The views would otherwise link to the URLs that do not exist.
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in (
            "add_url_name",
            "edit_url_name",
            "delete_url_name",
            "history_url_name",
            "usage_url_name",
        ):
            view_kwargs[name] = None
        return view_kwargs

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<id:pk>/", self.inspect_view, name="inspect"),
        ]
