"""``manage.py pmolib_members_index``: rebuild the members' search index from
the sessions (``search.members_index``): a row and an index entry with the
full text of each live members-only session, none for the others.

The index is kept up to date as sessions and what they show change; this puts
it right after a task failed, or fills it for members-only sessions saved
before it existed. Idempotent; ``BATCH_SIZE`` sessions at a time.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ...models import SessionMembersText
from ...search import members_index
from ...search.reindex import BATCH_SIZE, session_models


class Command(BaseCommand):
    help = "Rebuild the members' search index (the full text of members-only sessions)."

    def handle(self, *args, **options):
        ids = set(SessionMembersText.objects.values_list("pk", flat=True))
        for model in session_models():
            ids.update(model.objects.values_list("pk", flat=True))
        ordered = sorted(ids)
        for start in range(0, len(ordered), BATCH_SIZE):
            members_index.refresh_sessions(ordered[start : start + BATCH_SIZE])
        count = SessionMembersText.objects.count()
        self.stdout.write(f"{count} members-only sessions in the members' index.")
