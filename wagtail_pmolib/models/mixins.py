"""Model mixins a host site's own page types can use."""

from __future__ import annotations

from contextlib import nullcontext

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField

from ..feedback.summary import Summary, bayesian_average, rating_prior
from ..toc import (
    AnchorRegistry,
    TocSection,
    annotate_block,
    annotate_html,
    in_toc_range,
    kept_anchors,
    nest,
)
from .feedback import RatingSummary, ratings_below

FEEDBACK_ROUTE = "feedback"


def is_feedback_route(view) -> bool:
    """Whether ``view`` (a route's view, as ``Page.route`` resolved it) is a
    page's feedback endpoint."""
    return getattr(view, "__name__", "") == "feedback_route" and getattr(view, "csrf_exempt", False)


class TableOfContentsMixin(models.Model):
    """Anchors for headings and a stored table of contents.

    List the fields whose headings belong in the table of contents, in the order
    the page shows them, in ``toc_fields`` (StreamFields and RichTextFields), or
    override ``get_toc_sources()`` to mix in headings the template renders itself
    (``TocSection``). Anchors and the table of contents are computed when the
    page is cleaned, which Wagtail does on every save, revision and preview, so
    rendering costs nothing extra. ``page.table_of_contents`` is the nested
    list of ``{"id", "text", "level", "children"}``.
    """

    toc = models.JSONField(
        default=list, blank=True, editable=False, verbose_name=_("table of contents")
    )

    toc_fields: tuple[str, ...] = ("body",)
    # Ids the page template itself uses; headings never get them.
    reserved_anchor_ids: frozenset[str] = frozenset()

    class Meta:
        abstract = True

    def get_toc_sources(self):
        return list(self.toc_fields)

    def update_table_of_contents(self):
        sources = self.get_toc_sources()
        kept = []
        for source in sources:
            if not isinstance(source, TocSection):
                field = self._meta.get_field(source)
                if isinstance(field, StreamField):
                    kept += kept_anchors(field.stream_block, getattr(self, source))
        registry = AnchorRegistry(
            reserved={s.id for s in sources if isinstance(s, TocSection)}
            | set(self.reserved_anchor_ids),
            kept=kept,
        )
        headings: list = []
        language = None
        if getattr(settings, "WAGTAIL_I18N_ENABLED", False) and getattr(self, "locale_id", None):
            language = self.locale.language_code
        with translation.override(language) if language else nullcontext():
            for source in sources:
                if isinstance(source, TocSection):
                    if in_toc_range(source.level):
                        headings.append((source.level, source.id, str(source.text)))
                    continue
                field = self._meta.get_field(source)
                value = getattr(self, source)
                if isinstance(field, StreamField):
                    annotate_block(field.stream_block, value, registry, headings)
                elif isinstance(field, RichTextField):
                    setattr(self, source, annotate_html(value, registry, headings))
                else:
                    raise TypeError(
                        f"{type(self).__name__}.toc_fields: {source!r} is neither a "
                        "StreamField nor a RichTextField."
                    )
        self.toc = nest(headings)
        # Cleaning runs more than once per save (the form, then the revision);
        # only the first pass rewrites, so keep what it found.
        rewrites = self.__dict__.setdefault("_pmolib_anchor_rewrites", [])
        rewrites += [r for r in registry.rewritten if r not in rewrites]

    def clean(self):
        super().clean()
        self.update_table_of_contents()

    def get_editor_warnings(self) -> list[str]:
        """What the editor who just saved this page should know, though it did not
        stop the save; ``wagtail_hooks`` shows each as a warning message."""
        return [
            gettext(
                "The heading “%(text)s” links as #%(anchor)s, not “%(wanted)s”: anchors are "
                "lower-case words joined by hyphens, and each is used once on a page."
            )
            % {"text": text, "anchor": anchor, "wanted": wanted}
            for text, wanted, anchor in self.__dict__.get("_pmolib_anchor_rewrites", ())
            if anchor
        ]

    @property
    def table_of_contents(self) -> list[dict]:
        return self.toc or []


class FeedbackMixin(RoutablePageMixin, models.Model):
    """ "Was this article helpful?" for any page type.

    Adds a per-page switch, the feedback endpoint ``{page.url}feedback/`` (POST;
    a ``RoutablePageMixin`` route) and a ``feedback`` entry in the page's
    template context; render it with
    ``{% include "wagtail_pmolib/includes/feedback.html" %}`` outside any
    cached fragment. Mount ``wagtail_pmolib.urls`` so the endpoint takes
    token-less POSTs from cached pages (see the README).
    """

    feedback_enabled = models.BooleanField(
        _("visitor feedback"),
        default=True,
        help_text=_("Show “Was this article helpful?” and accept ratings and comments."),
    )

    FEEDBACK_ROUTE = FEEDBACK_ROUTE

    class Meta:
        abstract = True

    @path(f"{FEEDBACK_ROUTE}/", name="feedback")
    @csrf_exempt  # marks the route that checks the request's origin itself (views.py)
    def feedback_route(self, request):
        from ..views import feedback_view  # a page's route imports its view (DESIGN.md)

        return feedback_view(request, self)

    def route(self, request, path_components):
        # A child page whose slug is the route's is that page (as Wagtail routes
        # children), not the endpoint.
        if (
            list(path_components) == [self.FEEDBACK_ROUTE]
            and self.get_children().filter(slug=self.FEEDBACK_ROUTE).exists()
        ):
            return super(RoutablePageMixin, self).route(request, path_components)
        return super().route(request, path_components)

    def handle_options_request(self, request, *args, **kwargs):
        # Wagtail's before_serve_page hook passes (serve_args, serve_kwargs)
        # positionally; a route's serve_args are (view, args, kwargs).
        serve_args = args[0] if args and isinstance(args[0], tuple | list) else ()
        if serve_args and is_feedback_route(serve_args[0]):
            from ..views import feedback_view

            return feedback_view(request, self)  # 405, Allow: POST
        return super().handle_options_request(request, *args, **kwargs)

    def rating_summary(self, summary=None, prior=None) -> dict:
        """The page's ratings as the page shows them (``Summary.as_dict``) and the
        Bayesian average that ranks it among its library's pages ("Top rated"):
        ``prior`` is the ``(count, total)`` of the ratings below the library
        (``None`` outside a library). Wagtail's API v2 field and the JSON API's
        ``rating``; figures not given are read (one query each)."""
        if summary is None:
            summary = Summary.from_model(RatingSummary.objects.filter(page_id=self.pk).first())
        if prior is None:
            get_library = getattr(self, "get_library", None)
            library = get_library() if get_library is not None else None
            prior = ratings_below(library) if library is not None else None
        bayes = None
        if prior is not None:
            bayes = bayesian_average(summary.count, summary.total, rating_prior(*prior))
        return {**summary.as_dict(), "bayesian_average": None if bayes is None else round(bayes, 2)}

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        from ..feedback.context import feedback_context

        context["feedback"] = feedback_context(self, request)
        return context
