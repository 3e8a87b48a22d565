"""The direction of imports: views → domain → models, infrastructure used by the domain, no cycles.

Read from the source (ast), not by importing: a module's module-level imports are its dependencies.
Function-local imports of the project's own modules are counted separately (they hide dependencies)."""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "models", "views")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _targets(node: ast.AST, package: str, roots: tuple[str, ...] = PACKAGES) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parts = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join(parts + ([base] if base else []))
        names = [base] + [f"{base}.{alias.name}" for alias in node.names]
    else:
        return []
    return [name for name in names if name.split(".")[0] in roots]


@lru_cache(maxsize=1)
def graph() -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    """(module → project modules it imports at module level, module → function-local project imports)."""
    modules = {module_name(path): path for top in PACKAGES for path in (ROOT / top).rglob("*.py")}
    edges: dict[str, set[str]] = {}
    local: dict[str, list[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in tree.body:
            found.update(t for t in _targets(node, package) if t in modules)
        edges[name] = {t for t in found if t != name}
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(function):
                    targets = [t for t in _targets(node, package) if t in modules]
                    if targets:
                        local.setdefault(name, []).append(targets[0])
    return edges, local


def imports_of(prefix: str) -> dict[str, set[str]]:
    edges, _local = graph()
    return {name: targets for name, targets in edges.items() if name == prefix or name.startswith(prefix + ".")}


def crossing(prefix: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(f"{name} → {target}" for name, targets in imports_of(prefix).items() for target in targets
                  if any(target == f or target.startswith(f + ".") for f in forbidden))


def test_models_import_nothing_from_the_app_or_the_views():
    assert crossing("models", ("app", "views")) == []


def test_the_domain_infrastructure_seed_and_documents_never_import_views():
    for package in ("app.domain", "app.infra", "app.seed", "app.documents"):
        assert crossing(package, ("views",)) == [], package


def test_infrastructure_does_not_import_the_domain():
    assert crossing("app.infra", ("app.domain",)) == []


def test_pure_rules_import_no_framework_and_no_database():
    """The eligibility, exemption and admission-engine rules take plain data: no Flask, SQLAlchemy or models."""
    pure = ("app/domain/rules", "app/domain/admission/engine.py")
    frameworks = ("flask", "flask_babel", "sqlalchemy", "models", "app.extensions", "views")
    for target in pure:
        paths = [ROOT / target] if target.endswith(".py") else list((ROOT / target).rglob("*.py"))
        for path in paths:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                for name in names:
                    assert not any(name == f or name.startswith(f + ".") for f in frameworks), (path, name)


def test_no_import_cycles_between_modules():
    edges, _local = graph()
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert cycles == []


# Function-local imports of the project's modules hide dependencies. The one left is the package's
# ``create_app``, which must not import the views while ``app/__init__`` runs (its comment says why).
ALLOWED_LOCAL_IMPORTS = {"app": ["app.factory"]}


def test_no_function_local_imports_of_the_projects_modules():
    _edges, local = graph()
    assert local == ALLOWED_LOCAL_IMPORTS


# --- the tests themselves ------------------------------------------------------------------------------------
# A test module imports shared flows and helpers from the helper modules (tests/flows.py, tests/forms.py, …),
# never from another test module: importing a test function runs it twice, and a helper kept in a test
# module hides where it lives. Function-local imports of the tests' helpers hide dependencies as above.

def _test_imports(path: Path) -> tuple[list[str], list[str]]:
    """(``tests.…`` modules ``path`` imports at module level, those it imports inside a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).rpartition(".")[0]
    top = [name for node in tree.body for name in _targets(node, package, ("tests",))]
    local = [name for function in ast.walk(tree) if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
             for node in ast.walk(function) for name in _targets(node, package, ("tests",))]
    return top, local


def test_no_test_module_imports_another_test_module():
    """Nor does a helper module, and no ``test_…`` function is imported (it would be collected, and run, again)."""
    crossing_tests = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        top, local = _test_imports(path)
        crossing_tests += [f"{module_name(path)} → {name}" for name in top + local
                           if any(part.startswith("test_") for part in name.split(".")[1:])]
    assert crossing_tests == []


def test_tests_import_their_helpers_at_module_level():
    local = {module_name(path): _test_imports(path)[1] for path in sorted((ROOT / "tests").rglob("*.py"))}
    assert {name: targets for name, targets in local.items() if targets} == {}
