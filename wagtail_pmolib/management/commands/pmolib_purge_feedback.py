"""``manage.py pmolib_purge_feedback --older-than DAYS [--dry-run]``: retention.

Deletes feedback (ratings and comments) created more than DAYS days ago and keeps
every affected page's stored rating summary equal to a recount of what remains.

How it stays fast and consistent with many rows:

- rows are deleted in batches of primary keys (``--batch-size``, default 1,000),
  each batch in its own transaction, so a large purge never holds one huge
  transaction or loads every row at once;
- deletion goes through Django's collector, so ``post_delete`` receivers run
  (the host's too); ours asks for a recount of the page, and because the whole
  purge runs inside ``deferred_recounts()`` each affected page is recounted once,
  at the end, not once per deleted row. Until then a page's summary may still
  count votes that are already deleted: the recount puts it right, even when the
  purge stops half-way;
- Wagtail's reference index: if the ``Feedback`` model is tracked there, its
  per-row update is switched off and the batch's rows are removed with one query.

``--dry-run`` only counts (one query) and changes nothing.
"""

from __future__ import annotations

import argparse
import datetime
import re

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ...feedback.votes import deferred_recounts
from ...models import Feedback

DEFAULT_BATCH_SIZE = 1000


def _positive_whole_number(value) -> int:
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]+", text) or int(text) < 1:
        raise argparse.ArgumentTypeError(
            _("expected a whole number greater than 0 (such as 365), got %(value)r.")
            % {"value": str(value)}
        )
    return int(text)


def _reference_index_cleanup():
    """What to do about Wagtail's reference index for a batch: ``(context, remove)``.

    When ``Feedback`` is tracked (an admin viewset may register it), Wagtail's
    ``post_delete`` receiver would cost two queries per row; instead it is paused
    for the batch and ``remove(pks)`` deletes the batch's entries at once.
    """
    import contextlib

    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import ReferenceIndex
    from wagtail.signal_handlers import disable_reference_index_auto_update

    if Feedback not in ReferenceIndex.tracked_models:
        return contextlib.nullcontext, lambda pks: None

    def remove(pks):
        content_type = ContentType.objects.get_for_model(Feedback)
        ids = [str(pk) for pk in pks]
        ReferenceIndex.objects.filter(base_content_type=content_type, object_id__in=ids).delete()
        ReferenceIndex.objects.filter(to_content_type=content_type, to_object_id__in=ids).delete()

    return disable_reference_index_auto_update, remove


class Command(BaseCommand):
    @property
    def help(self):
        # Translated when asked for (argparse needs a str, not a lazy string).
        return _(
            "Delete visitor feedback (ratings and comments) older than a number of days, "
            "keeping every page's rating summary consistent with the feedback that remains."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            dest="older_than",
            metavar="DAYS",
            type=_positive_whole_number,
            required=True,
            help=_("Delete feedback created more than DAYS days ago (a whole number, 1 or more)."),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Only report how much feedback would be deleted; change nothing."),
        )
        parser.add_argument(
            "--batch-size",
            dest="batch_size",
            metavar="N",
            type=_positive_whole_number,
            default=DEFAULT_BATCH_SIZE,
            help=_("Rows deleted per query and transaction (default: %(default)s)."),
        )

    def handle(self, *args, older_than, dry_run=False, batch_size=DEFAULT_BATCH_SIZE, **options):
        # call_command() passes non-required options unparsed: check them here too.
        for name, value in (("--older-than", older_than), ("--batch-size", batch_size)):
            try:
                _positive_whole_number(value)
            except argparse.ArgumentTypeError as exc:
                raise CommandError(f"{name}: {exc}") from None
        days, batch_size = int(older_than), int(batch_size)
        self.verbosity = options.get("verbosity", 1)
        try:
            cutoff = timezone.now() - datetime.timedelta(days=days)
        except OverflowError:
            raise CommandError(
                _("--older-than: %(days)s days reaches back before the year 1.") % {"days": days}
            ) from None
        old = Feedback.objects.filter(created_at__lt=cutoff)
        when = timezone.localtime(cutoff).strftime("%Y-%m-%d %H:%M %Z")

        if dry_run:
            figures = old.aggregate(rows=Count("pk"), pages=Count("page", distinct=True))
            self._report(
                _("Would delete %(feedback)s on %(pages)s (created before %(when)s).")
                + " "
                + _("Dry run: nothing was changed."),
                figures["rows"],
                figures["pages"],
                when,
            )
            return

        rows, pages = self._purge(old, batch_size, self.verbosity)
        self._report(
            _("Deleted %(feedback)s on %(pages)s (created before %(when)s)."), rows, pages, when
        )

    def _purge(self, old, batch_size, verbosity):
        pause_reference_index, remove_references = _reference_index_cleanup()
        label = Feedback._meta.label
        rows, pages, last_pk = 0, set(), None
        with deferred_recounts():
            while True:
                batch = old.order_by("pk")
                if last_pk is not None:
                    batch = batch.filter(pk__gt=last_pk)
                batch = list(batch.values_list("pk", "page_id")[:batch_size])
                if not batch:
                    break
                pks = [pk for pk, _page_id in batch]
                last_pk = pks[-1]
                with transaction.atomic(), pause_reference_index():
                    _total, by_model = Feedback.objects.filter(pk__in=pks).delete()
                    remove_references(pks)
                rows += by_model.get(label, 0)
                pages.update(page_id for _pk, page_id in batch)
                if verbosity >= 2:
                    self.stdout.write(
                        ngettext("Deleted %(count)s row…", "Deleted %(count)s rows…", rows)
                        % {"count": rows}
                    )
        return rows, len(pages)

    def _report(self, message, rows, pages, when):
        if self.verbosity < 1:
            return
        feedback = ngettext("%(count)s feedback entry", "%(count)s feedback entries", rows) % {
            "count": rows
        }
        on_pages = ngettext("%(count)s page", "%(count)s pages", pages) % {"count": pages}
        self.stdout.write(message % {"feedback": feedback, "pages": on_pages, "when": when})
