"""The import rules of DESIGN.md, checked on the source: no import cycles among i2v's modules, the
engine imports no queue, screen or teaching code, teaching reads only the engine's spec surface, web
never reaches a store, and the base modules import no engine.

Read with `ast` from the files (nothing is imported), so a rule broken by a lazy import inside a
function is caught too; the cycle check follows only imports made when a module loads (lazy imports
are how a cycle is legitimately broken)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "i2v"
BASE = ("i2v.request", "i2v.settings", "i2v.media", "i2v.archive", "i2v.image_input", "i2v.files")
STORES = ("i2v.jobs.store", "i2v.lessons.store")
ENGINE_SPEC_SURFACE = ("i2v.engine.spec", "i2v.engine.registry")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(path: Path, *, load_time_only: bool) -> set[str]:
    """The i2v modules `path` imports (`from i2v.x import y` counts as i2v.x.y when that is a
    module, else i2v.x). With `load_time_only`, imports inside functions and TYPE_CHECKING blocks
    are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if load_time_only and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if load_time_only and isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names if alias.name.split(".")[0] == "i2v")
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                if base.split(".")[0] != "i2v":
                    continue
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    found.add(full if full in MODULES else base)
            visit(child)

    visit(tree)
    return {name for name in found if name in MODULES}


FILES = {module_name(path): path for path in PACKAGE.rglob("*.py")}
MODULES = set(FILES)


def under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_source_is_found() -> None:
    """The rules below mean something only if the walk sees the package."""
    assert {"i2v.engine.spec", "i2v.web.api", "i2v.jobs.store", "i2v.teaching.prompt_check"} <= MODULES
    assert "i2v.engine.spec" in imports(FILES["i2v.engine.host"], load_time_only=False) or \
        "i2v.engine.registry" in imports(FILES["i2v.engine.host"], load_time_only=False)


def test_no_import_cycles() -> None:
    graph = {name: imports(path, load_time_only=True) for name, path in FILES.items()}
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            # a package's __init__ importing its own submodule is how a package is built, not a cycle
            if state.get(target) == 1:
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                walk(target)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name)
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


def _violations(sources: tuple[str, ...], allowed) -> list[str]:
    bad = []
    for name, path in sorted(FILES.items()):
        if not under(name, *sources):
            continue
        for target in sorted(imports(path, load_time_only=False)):
            if not allowed(name, target):
                bad.append(f"{name} imports {target}")
    return bad


def test_engine_imports_no_queue_screen_lessons_or_teaching() -> None:
    bad = _violations(("i2v.engine",), lambda _n, t: not under(t, "i2v.jobs", "i2v.web", "i2v.lessons", "i2v.teaching"))
    assert not bad, "\n".join(bad)


def test_teaching_reads_only_the_spec_surface_of_the_engine() -> None:
    bad = _violations(("i2v.teaching",),
                      lambda _n, t: not under(t, "i2v.engine") or t in ENGINE_SPEC_SURFACE)
    assert not bad, "\n".join(bad)


# The composition root builds the stores; nothing else in web may. Web names a job's status and
# records through i2v.jobs.status / i2v.jobs.records and catches errors by their i2v.errors base.
COMPOSITION_ROOT = "i2v.web.services"


def test_web_never_imports_a_store() -> None:
    bad = _violations(("i2v.web",), lambda n, t: t not in STORES or n == COMPOSITION_ROOT)
    assert not bad, "web modules reaching a store (ask a service instead):\n" + "\n".join(bad)


def test_base_modules_import_no_engine() -> None:
    bad = _violations(BASE, lambda _n, t: not under(t, "i2v.engine"))
    assert not bad, "\n".join(bad)
