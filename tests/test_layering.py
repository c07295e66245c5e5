"""Imports point down the layers of DESIGN.md ("Architecture we want").

Every module of the package is parsed (``ast``, nothing is imported) and each of
its imports of another module of ours, at the top or inside a function, must go
to the same layer or a lower one. A module's layer is the one of the longest
prefix of its name in ``LAYERS``.
"""

import ast
from pathlib import Path

import pytest

import wagtail_pmolib

PACKAGE = Path(wagtail_pmolib.__file__).parent

# L0 configuration · L1 pure helpers (no ORM, no HTTP) · L2 data · L3 rules and
# services · L4 thin HTTP and presentation · L5 admin.
LAYERS = {
    "": 0,  # the package itself: its version
    "conf": 0,
    "checks": 0,
    "toc": 1,
    "recordings": 1,
    "documents": 1,
    "text": 1,
    "richtext": 1,
    "database": 1,
    "references": 1,
    "serializers": 1,
    "forms": 1,
    "previews": 1,
    "invalidation.rules": 1,
    # Pure arithmetic of rating summaries (imports conf only): the page panel (L2)
    # shows a ``Summary``; the votes and the ranking (L3) use it too.
    "feedback.summary": 1,
    "models": 2,
    "blocks": 2,
    # Applying the rule: it reads the content and writes the versions (models/versions.py).
    "invalidation": 2,
    "feedback": 3,
    "search": 3,
    "access": 3,  # DESIGN.md: who may see what
    "tasks": 3,
    "pdftext": 3,
    "fragment_cache": 3,
    "demo": 3,
    "views": 4,
    "templatetags": 4,
    "urls": 4,
    "api": 4,
    "management": 4,
    "admin": 5,
    "viewsets": 5,
    "wagtail_hooks": 5,
    "contrib": 5,
    # Wired in AppConfig.ready(): may import anything.
    "apps": 6,
    "signal_handlers": 6,
}

# Upward imports allowed, each inside a function: (module, imported module, function).
EXCEPTIONS = {
    # A page's route imports its view (as Wagtail's contrib/forms does).
    ("models.mixins", "views", "feedback_route"),
    ("models.mixins", "views", "handle_options_request"),  # the feedback route's OPTIONS
    ("models.pages", "views", "index_route"),
    ("models.pages", "views", "suggest_route"),
    ("models.sessions", "views", "index_route"),
    # An edit-view panel that page models declare asks the rule it shows when it
    # renders, as a route imports its view.
    ("models.panels", "access.documents", "documents"),
    # Wagtail API v2 fields of a session's gated parts ask the members rule when
    # they serialize (the page's ``api_fields`` declare them).
    ("serializers", "access.members", "_access"),
    # Not yet moved to a route (issue 8, item 10): a host page type with the feedback
    # section gets its context (the cached section's key among it) from get_context.
    ("models.mixins", "feedback.context", "get_context"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path
    for path in sorted(PACKAGE.rglob("*.py"))
    if "migrations" not in path.parts and path.parent.name != "tests"
}


def layer(name: str) -> int:
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in LAYERS:
            return LAYERS[".".join(parts[:end])]
    raise AssertionError(f"{name}: no layer in LAYERS; give it one")


def imports(name: str, path: Path):
    """``(imported module, enclosing function or None, line)`` for each import of ours."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".") if package else []
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    module = child.module or ""
                    if module != "wagtail_pmolib" and not module.startswith("wagtail_pmolib."):
                        continue
                    target = module.removeprefix("wagtail_pmolib").lstrip(".")
                for alias in child.names:
                    submodule = f"{target}.{alias.name}" if target else alias.name
                    found.append((submodule if submodule in MODULES else target, function, child))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("wagtail_pmolib."):
                        target = alias.name.removeprefix("wagtail_pmolib.")
                        found.append((target, function, child))
            inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            visit(child, child.name if inner else function)

    visit(ast.parse(path.read_text(), str(path)), None)
    return [(target, function, node.lineno) for target, function, node in found if target]


def upward_imports(modules=None):
    """``(module, imported module, function, line)`` for each import pointing up."""
    return [
        (name, target, function, line)
        for name, path in (modules or MODULES).items()
        for target, function, line in imports(name, path)
        if layer(target) > layer(name) and (name, target, function) not in EXCEPTIONS
    ]


def test_every_module_has_a_layer():
    for name in MODULES:
        layer(name)


def test_imports_point_down():
    assert [
        f"{name} (L{layer(name)}) imports {target} (L{layer(target)})"
        + (f" in {function}()" if function else "")
        + f", line {line}"
        for name, target, function, line in upward_imports()
    ] == []


def test_core_never_imports_the_optional_modeladmin_app():
    assert [
        (name, target)
        for name, path in MODULES.items()
        if not name.startswith("contrib")
        for target, _, _ in imports(name, path)
        if target.startswith("contrib")
    ] == []


def test_each_exception_is_still_needed():
    seen = {
        (name, target, function)
        for name, path in MODULES.items()
        for target, function, _ in imports(name, path)
    }
    assert EXCEPTIONS - seen == set()


@pytest.mark.parametrize(
    "source, upward",
    [
        ("from ..admin import views", [("admin.views", None)]),
        ("def f():\n    from ..search import scope_for", [("search", "f")]),
        ("import wagtail_pmolib.views", [("views", None)]),
        ("def get_context(self):\n    from ..views import x", [("views", "get_context")]),
        ("def index_route(self):\n    from ..views import x", []),  # the route exception
        ("from ..toc import TocSection\nfrom .pages import LINK_FIELDS", []),
    ],
)
def test_the_check_finds_upward_imports(tmp_path, source, upward):
    module = tmp_path / "sessions.py"
    module.write_text(source)
    found = upward_imports({"models.sessions": module})
    assert [(target, function) for _, target, function, _ in found] == upward
