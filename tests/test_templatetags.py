from django.template import Context, Template


def render(source, **context):
    return Template("{% load wagtail_pmolib_tags %}" + source).render(Context(context))


def test_table_of_contents_tag_renders_nested_links():
    class Page:
        table_of_contents = [
            {
                "id": "notes",
                "text": "Notes & more",
                "level": 2,
                "children": [{"id": "sore", "text": "SORE", "level": 3, "children": []}],
            }
        ]

    html = render("{% table_of_contents page %}", page=Page())
    assert "Table of Contents" in html
    assert '<a href="#notes">Notes &amp; more</a>' in html
    assert html.index('href="#notes"') < html.index('href="#sore"')
    assert html.count("<ol") == 2


def test_table_of_contents_tag_renders_nothing_without_headings():
    class Page:
        table_of_contents = []

    assert render("{% table_of_contents page %}", page=Page()).strip() == ""
    assert render("{% table_of_contents page %}", page=object()).strip() == ""


def test_document_info_filter(make_document):
    document = make_document()
    info = render("{{ document|document_info }}", document=document)
    assert info.startswith("PDF, ")
    assert info.endswith("bytes")
    assert render("{{ document|document_info }}", document=None) == ""
