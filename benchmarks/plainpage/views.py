"""The search view of a site made with ``wagtail start`` (Wagtail's project template,
``search/views.py``), as a site builder who adds nothing would serve it: the
request-level yardstick of the library's search (``benchmarks/search.py``).

Two changes, both making it do the same work as the library's search: it searches
the session pages (the template searches ``Page``, whose index entries are the same
rows) and shows as many results per page as the library does. Its query logging
("Promoted search results") is switched on, as the library logs its searches too.
"""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.template.response import TemplateResponse
from wagtail.contrib.search_promotions.models import Query

from wagtail_pmolib.conf import pmolib_settings
from wagtail_pmolib.models import SessionPage


def search(request):
    search_query = request.GET.get("query", None)
    page = request.GET.get("page", 1)

    if search_query:
        search_results = SessionPage.objects.live().search(search_query)
        query = Query.get(search_query)
        query.add_hit()
    else:
        search_results = SessionPage.objects.none()

    paginator = Paginator(search_results, pmolib_settings.INDEX_PAGE_SIZE)
    try:
        search_results = paginator.page(page)
    except PageNotAnInteger:
        search_results = paginator.page(1)
    except EmptyPage:
        search_results = paginator.page(paginator.num_pages)

    return TemplateResponse(
        request,
        "plainpage/search.html",
        {"search_query": search_query, "search_results": search_results},
    )
