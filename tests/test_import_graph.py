"""The arrows between the apps, read from the source (grimp, the graph behind import-linter).

``make lint`` checks the same rules as import-linter contracts (pyproject.toml); this walks the
graph itself so that a circle is named module by module.
"""

import grimp
import pytest

APPS = ("portal", "requests_app", "stats_app")


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*APPS, cache_dir=None)


def cycles(graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each a circle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_through_others(graph):
    assert cycles(graph) == []


def test_the_statistics_engine_imports_nothing_of_the_case_app(graph):
    assert not graph.chain_exists(importer="stats_app", imported="requests_app", as_packages=True)


def test_a_circle_is_found():
    """The walk itself: a graph with a circle of three modules reports it."""
    circular = grimp.ImportGraph()
    for importer, imported in (("a.one", "a.two"), ("a.two", "a.three"), ("a.three", "a.one"), ("a.three", "a.four")):
        circular.add_import(importer=importer, imported=imported)
    assert cycles(circular) == [["a.one", "a.three", "a.two"]]
