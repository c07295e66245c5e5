"""Members-only sessions: the access level a library, conference or session asks
for, and the level that applies to each session (data only; who may read what is
``access.members``, L3).

A session's own level may be *inherit* (the default): the nearest page above it
that sets one decides (its conference, then its library); nothing set anywhere
is *free*. What applies is stored on the session row when it is saved
(``access_effective`` and ``access_source_id``, the page whose setting applies),
and brought up to date below a conference or library whose level changes, or a
page that moves, in the same transaction: listings, search, facets and the
document hook then decide in SQL, with no extra query and the same answer on
every backend (``access_effective`` is a search ``FilterField`` too).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.models import Page, get_page_models

# Sent with ``session_ids`` (and ``using``) when the level that applies to those
# sessions changed: ``signal_handlers`` re-indexes them (a members-only session's
# gated parts are not indexed) and drops what is cached of them.
access_changed = Signal()


class AccessLevel(models.TextChoices):
    INHERIT = "inherit", _("As the page above (its conference, then its library)")
    FREE = "free", _("Free: everyone")
    MEMBERS = "members", _("Members")
    GROUPS = "groups", _("Chosen groups")


# What can apply to a session (never "inherit").
EFFECTIVE_LEVELS = [(c.value, c.label) for c in AccessLevel if c != AccessLevel.INHERIT]


ADMIN_BADGES = {
    AccessLevel.MEMBERS: _("Members"),
    AccessLevel.GROUPS: _("Chosen groups"),
}


class AccessMixin(models.Model):
    """Who may read a page's gated parts (a session's recording, handouts and
    notes). On libraries and conferences it is the default of the sessions below."""

    access_level = models.CharField(
        _("access"),
        max_length=16,
        choices=AccessLevel.choices,
        default=AccessLevel.INHERIT,
        # Not required in forms: a form that leaves it out inherits.
        blank=True,
        help_text=_(
            "Who may watch the recording, download the handouts and read the notes. "
            "Others see a teaser (title, speakers, abstract, contents) asking them "
            "to sign in or join. “Members” are the groups the site names as members "
            "(or every signed-in user when it names none)."
        ),
    )
    access_groups = ParentalManyToManyField(
        "auth.Group",
        verbose_name=_("groups with access"),
        blank=True,
        related_name="+",
        help_text=_("For “Chosen groups”: who may read it."),
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self.access_level:
            self.access_level = AccessLevel.INHERIT
        full = kwargs.get("update_fields") is None
        changed = False
        if full and self.pk is not None and not getattr(self, "stores_effective_access", False):
            before = type(self).objects.filter(pk=self.pk).values_list("access_level", flat=True)
            changed = next(iter(before), self.access_level) != self.access_level
        own_source = False
        if full and getattr(self, "stores_effective_access", False):
            self.access_effective, self.access_source_id = resolve_access(self)
            own_source = self.access_level != AccessLevel.INHERIT and self.pk is None
        if not changed:
            result = super().save(*args, **kwargs)
            if own_source:  # a new page's own level: its id is known only now
                self.access_source_id = self.pk
                type(self).objects.filter(pk=self.pk).update(access_source_id=self.pk)
            return result
        # One transaction: no request sees the new level here and the old one
        # still applying to the sessions below.
        with transaction.atomic(using=self._state.db or "default"):
            result = super().save(*args, **kwargs)
            changed_ids = refresh_access_below(self)
        if changed_ids:
            access_changed.send(
                type(self), session_ids=changed_ids, using=self._state.db or "default"
            )
        return result

    def admin_access_label(self):
        """The badge the admin shows beside the title (page listings, the edit
        view's header, choosers): the level this page sets, if any."""
        level = self.access_level
        return None if level in (AccessLevel.INHERIT, AccessLevel.FREE) else level

    def get_admin_display_title(self):
        title = super().get_admin_display_title()
        level = self.admin_access_label()
        if level is None:
            return title
        return f"{title} · 🔒 {ADMIN_BADGES[level]}"

    def clean(self):
        super().clean()
        if self.access_level == AccessLevel.GROUPS and not self.access_groups.all():
            raise ValidationError({"access_groups": _("Choose at least one group.")})


class SessionAccessMixin(AccessMixin):
    """What applies to a session, kept on its row (see the module's docstring)."""

    stores_effective_access = True

    access_effective = models.CharField(
        _("access that applies"),
        max_length=16,
        choices=EFFECTIVE_LEVELS,
        default=AccessLevel.FREE,
        editable=False,
        db_index=True,
    )
    # The page (this one or one above it) whose level applies; its groups decide
    # "chosen groups". Not a foreign key: it is always this page or an ancestor,
    # deleted with it.
    access_source_id = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def admin_access_label(self):
        # What applies to the session, set on it or inherited.
        level = self.access_effective
        return None if level == AccessLevel.FREE else level

    @property
    def is_gated(self) -> bool:
        return self.access_effective != AccessLevel.FREE


def gate_models() -> list[type]:
    """Page types whose level is the default of the sessions below them."""
    return [
        m
        for m in get_page_models()
        if issubclass(m, AccessMixin)
        and not getattr(m, "stores_effective_access", False)
        and not m._meta.abstract
    ]


def session_models() -> list[type]:
    """Concrete page types that keep the level that applies to them."""
    return [
        m
        for m in get_page_models()
        if issubclass(m, SessionAccessMixin) and not m._meta.abstract and not m._meta.proxy
    ]


def _prefixes(path: str) -> list[str]:
    steplen = Page.steplen
    return [path[:end] for end in range(steplen, len(path), steplen)]


def _gates(q: models.Q) -> dict[str, tuple[str, int]]:
    """``{path: (level, pk)}`` of the gate pages matching ``q`` that set a level
    (one query per gate page type; a default install has two)."""
    found = {}
    for model in gate_models():
        rows = (
            model.objects.filter(q)
            .exclude(access_level=AccessLevel.INHERIT)
            .values_list("path", "access_level", "pk")
        )
        for path, level, pk in rows:
            found[path] = (level, pk)
    return found


def _nearest(path: str, gates: dict) -> tuple[str, int | None]:
    for prefix in reversed(_prefixes(path)):
        if prefix in gates:
            return gates[prefix]
    return AccessLevel.FREE, None


def resolve_access(page) -> tuple[str, int | None]:
    """``(level, source page id)`` that applies to ``page`` as it is in memory:
    its own level, or the nearest page above it that sets one; free otherwise."""
    if page.access_level not in (AccessLevel.INHERIT, ""):
        return page.access_level, page.pk
    path = page.path
    if page.pk is not None:
        # Where the page is now: a page object made from an older revision, or
        # read before a move, may hold an older path.
        path = Page.objects.filter(pk=page.pk).values_list("path", flat=True).first() or path
    if not path:
        return AccessLevel.FREE, None
    return _nearest(path, _gates(models.Q(path__in=_prefixes(path))))


def refresh_access_below(page) -> list[int]:
    """Bring the level that applies up to date on the sessions at or below
    ``page`` (its level changed, or it moved); the ids of those that changed."""
    if not page.path:
        return []
    gates = _gates(models.Q(path__in=_prefixes(page.path)) | models.Q(path__startswith=page.path))
    changed = []
    for model in session_models():
        rows = model.objects.filter(path__startswith=page.path).only(
            "path", "access_level", "access_effective", "access_source_id"
        )
        updates = []
        for row in rows:
            if row.access_level != AccessLevel.INHERIT:
                wanted = (row.access_level, row.pk)
            else:
                wanted = _nearest(row.path, gates)
            if (row.access_effective, row.access_source_id) != wanted:
                row.access_effective, row.access_source_id = wanted
                updates.append(row)
        if updates:
            model.objects.bulk_update(updates, ["access_effective", "access_source_id"])
            changed += [row.pk for row in updates]
    return changed


def group_models() -> list[tuple[type, str]]:
    """``(through model, its column naming the page)`` of each page type's
    ``access_groups``."""
    found = []
    for model in get_page_models():
        if not issubclass(model, AccessMixin) or model._meta.abstract or model._meta.proxy:
            continue
        field = model._meta.get_field("access_groups")
        if field.model is not model:
            # A host's subclass of one of our page types: the groups are its
            # parent's (one table, one through model), counted there.
            continue
        through = field.remote_field.through
        column = next(
            f.name
            for f in through._meta.get_fields()
            if f.is_relation and f.many_to_one and f.related_model is model
        )
        found.append((through, column))
    return found
