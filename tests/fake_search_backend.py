"""A search backend that is not the database, for tests: it answers like
Elasticsearch would through Wagtail's API (no ``get_queryset()``; ``count()`` and
``facet()`` computed over every match, whatever the slice), finding words by a
case-insensitive search in the title and abstract. Filters on the queryset are
checked by Wagtail (``FilterField``s) and applied as the real backends apply them."""

from django.db.models import Q
from modelsearch.backends.base import (
    BaseSearchBackend,
    BaseSearchQueryCompiler,
    BaseSearchResults,
)
from modelsearch.query import And, Or, Phrase, PlainText


def _condition(query):
    if isinstance(query, PlainText):
        words = query.query_string.split()
        condition = Q()
        for word in words:
            one = Q(title__icontains=word) | Q(abstract__icontains=word)
            condition = condition & one if query.operator == "and" else condition | one
        return condition
    if isinstance(query, Phrase):
        return Q(title__icontains=query.query_string) | Q(abstract__icontains=query.query_string)
    if isinstance(query, (And, Or)):
        condition = Q()
        for sub in query.subqueries:
            condition = (
                condition & _condition(sub)
                if isinstance(query, And)
                else condition | _condition(sub)
            )
        return condition
    return Q(title__icontains=str(query))


class FakeResults(BaseSearchResults):
    supports_facet = True
    facet_calls = []  # the fields asked for, for the tests

    def _matches(self):
        compiler = self.query_compiler
        return compiler.queryset.filter(_condition(compiler.query)).distinct().order_by("-pk")

    def _do_search(self):
        return list(self._matches()[self.start : self.stop])

    def _do_count(self):
        return len(self._matches()[self.start : self.stop])

    def facet(self, field_name):
        type(self).facet_calls.append(field_name)
        counts = {}
        for obj in self._matches():
            value = getattr(obj, field_name)
            value = value() if callable(value) else value
            for one in value if isinstance(value, list) else [value]:
                counts[one] = counts.get(one, 0) + 1
        return counts


class FakeCompiler(BaseSearchQueryCompiler):
    DEFAULT_OPERATOR = "or"


class FakeSearchBackend(BaseSearchBackend):
    query_compiler_class = FakeCompiler
    autocomplete_query_compiler_class = FakeCompiler
    results_class = FakeResults


SearchBackend = FakeSearchBackend
