"""Index each object once at the end of a seed instead of on every save.

Creating and publishing a page saves it three or four times, and each save re-indexes it
for search and for Wagtail's reference index (usage counts): most of the seed's time.
"""

from contextlib import contextmanager

from django.db.models.signals import post_save
from modelsearch import index as search_index
from modelsearch.signal_handlers import post_save_signal_handler
from wagtail.models import ReferenceIndex
from wagtail.signal_handlers import disable_reference_index_auto_update

_DISPATCH_UID = "comptoir-seed-remember-saved"


@contextmanager
def indexing_deferred(*, reindex: bool = True):
    """Pause per-save search and reference indexing; afterwards, index what was saved once.

    With ``reindex=False`` nothing is indexed afterwards (bulk benchmark data: the
    storefront searches its own ``search_text`` column; ``manage.py update_index`` and
    ``rebuild_references_index`` can catch up if the admin needs them).
    """
    search_models = [
        model
        for model in search_index.get_indexed_models()
        if getattr(model, "search_auto_update", True)
    ]
    saved: dict[tuple[type, object], None] = {}

    def remember(sender, instance, raw=False, **kwargs):
        if not raw and instance.pk is not None:
            saved[(sender, instance.pk)] = None

    for model in search_models:
        post_save.disconnect(post_save_signal_handler, sender=model)
    post_save.connect(remember, weak=False, dispatch_uid=_DISPATCH_UID)
    try:
        with disable_reference_index_auto_update():
            yield
    finally:
        post_save.disconnect(dispatch_uid=_DISPATCH_UID)
        for model in search_models:
            post_save.connect(post_save_signal_handler, sender=model)
    if not reindex:
        return
    searchable = set(search_models)
    # What was saved, per model in the order first saved, read back with one query per
    # model (not one per object); then indexed one by one in that same order.
    pks_by_model: dict[type, list] = {}
    for model, pk in saved:
        if model in searchable or ReferenceIndex.is_indexed(model):
            pks_by_model.setdefault(model, []).append(pk)
    instances = {model: model._default_manager.in_bulk(pks) for model, pks in pks_by_model.items()}
    for model, pk in saved:
        instance = instances.get(model, {}).get(pk)
        if instance is None:
            continue
        if model in searchable:
            search_index.insert_or_update_object(instance)
        if ReferenceIndex.is_indexed(model):
            ReferenceIndex.create_or_update_for_object(instance)
