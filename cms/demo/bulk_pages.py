"""Pages and rows written in bulk, for the generated catalogue (:mod:`cms.demo.bulk`).

Pages are written without revisions: the ``wagtailcore_page`` rows with ``bulk_create``
(paths computed here, as treebeard would), then each inheritance level's table with
multi-row INSERTs, then the inline children.
"""

import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import Max
from django.db.models.functions import Substr
from wagtail.models import Page

BATCH = 1000
PAGE_FIELDS = Page._meta.concrete_fields


class PageSteps:
    """The next free treebeard step under each parent, read once, kept in memory."""

    def __init__(self, parent: Page):
        depth = parent.depth + 1
        rows = (
            Page.objects.filter(path__startswith=parent.path, depth=depth + 1)
            .annotate(parent_path=Substr("path", 1, depth * Page.steplen))
            .values("parent_path")
            .annotate(last=Max("path"))
            .values_list("parent_path", "last")
        )
        self.last = {path: Page._str2int(last[-Page.steplen :]) for path, last in rows}
        children = Page.objects.filter(path__startswith=parent.path, depth=depth)
        self.last[parent.path] = max(
            (
                Page._str2int(path[-Page.steplen :])
                for path in children.values_list("path", flat=True)
            ),
            default=0,
        )

    def next(self, parent: Page) -> int:
        step = self.last.get(parent.path, 0) + 1
        self.last[parent.path] = step
        return step


def pages_bulk_insert(items: list[tuple[Page, Page]], *, steps: PageSteps, now) -> None:
    """Insert live pages without revisions: ``items`` are (parent, unsaved specific page).

    Sets what ``add_child`` and a first publication would (path, depth, url_path,
    locale, translation key, publication dates), inserts the ``wagtailcore_page`` rows
    with ``bulk_create``, then each inheritance level's table with multi-row INSERTs,
    and bumps the parents' ``numchild``.
    """
    content_types = ContentType.objects.get_for_models(*{type(page) for _p, page in items})
    base_rows, added = [], {}
    for parent, page in items:
        step = steps.next(parent)
        added[parent.pk] = added.get(parent.pk, 0) + 1
        page.path = Page._get_path(parent.path, parent.depth + 1, step)
        page.depth = parent.depth + 1
        page.numchild = 0
        page.url_path = f"{parent.url_path}{page.slug}/"
        page.draft_title = page.title
        page.live = True
        page.has_unpublished_changes = False
        page.first_published_at = page.last_published_at = now
        page.locale_id = parent.locale_id
        page.translation_key = uuid.uuid4()
        page.content_type = content_types[type(page)]
        base_rows.append(
            Page(**{f.attname: getattr(page, f.attname) for f in PAGE_FIELDS if not f.primary_key})
        )
    Page.objects.bulk_create(base_rows, batch_size=BATCH)
    by_level: dict[type, list] = {}
    for (_parent, page), base in zip(items, base_rows, strict=True):
        levels = [m for m in reversed(type(page)._meta.get_parent_list()) if m is not Page]
        levels.append(type(page))
        page.pk = page.id = base.pk
        for level in levels:
            setattr(page, level._meta.pk.attname, base.pk)
            by_level.setdefault(level, []).append(page)
    # Parents' tables first (OfferPage before StayOfferPage): insertion order of the dict.
    for level in sorted(by_level, key=lambda m: len(m._meta.get_parent_list())):
        rows_insert(level, by_level[level])
    for parent_id, n in added.items():
        Page.objects.filter(pk=parent_id).update(numchild=models.F("numchild") + n)


def rows_insert(model, objs) -> None:
    """Insert ``objs`` into ``model``'s own table (one inheritance level, or a plain model
    whose ids are not needed afterwards) with one prepared statement and ``executemany``.

    Much cheaper than ``bulk_create`` for tens of thousands of rows: the SQL is built
    once and each value goes through the field's own ``get_db_prep_save``.
    """
    if not objs:
        return
    fields = [
        f
        for f in model._meta.local_concrete_fields
        if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
    ]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from model meta)
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    rows = [
        tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
        for obj in objs
    ]
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[i : i + 5000])
