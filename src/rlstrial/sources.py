"""Which package code each workflow stage runs, and its digest.

Snakemake reruns a job when its script changes, but not when the package code the
script calls changes. Each rule therefore gets, as a ``params:`` entry, the SHA-256 of
the modules its stage can reach (:func:`stage_digest`): the stage function of
:mod:`rlstrial.pipeline` named after the rule, the modules it imports (at the top of
``pipeline`` or inside the function), and everything those import in turn, with the
data files a module reads. Editing ``figures.py`` then redraws the figures and nothing
else; editing the MMRM engine refits the models and what depends on them.
"""

from __future__ import annotations

import ast
import hashlib
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
#: Data files (globs under the package) that a module reads at run time.
RESOURCES = {"rlstrial.checklist": ["checklists/*.yaml"]}


def _path(module: str) -> Path | None:
    relative = Path(*module.split(".")[1:])
    for candidate in (PACKAGE / relative.with_suffix(".py"), PACKAGE / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(node: ast.AST) -> set[str]:
    """rlstrial modules imported anywhere under ``node``."""
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Import):
            found |= {alias.name for alias in child.names if alias.name.startswith("rlstrial")}
        elif isinstance(child, ast.ImportFrom) and (child.module or "").startswith("rlstrial"):
            if child.module != "rlstrial":  # the package itself: its modules named below
                found.add(child.module)
            found |= {f"{child.module}.{alias.name}" for alias in child.names}
    return {module for module in found if _path(module) is not None}


@cache
def _tree(module: str) -> ast.Module:
    return ast.parse(_path(module).read_text(encoding="utf-8"))


@cache
def _module_imports(module: str) -> frozenset[str]:
    return frozenset(_imported(_tree(module)))


@cache
def _top_level_imports(module: str) -> frozenset[str]:
    """What a package's ``__init__`` imports when it runs: its top-level imports, not
    those inside functions (a module ``__getattr__`` importing on first use)."""
    tree = _tree(module)
    return frozenset(
        found
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for found in _imported(node)
    )


def _closure(modules: set[str]) -> set[str]:
    """The modules that importing ``modules`` runs: what each imports, in turn, and
    the packages above each (with what they import at their top level)."""
    seen: dict[str, bool] = {}  # module -> whether reached only as a package above
    todo = [(module, False) for module in modules]
    while todo:
        module, as_parent = todo.pop()
        if module in seen and (as_parent or not seen[module]):
            continue
        seen[module] = as_parent
        parents = [".".join(module.split(".")[:k]) for k in range(2, module.count(".") + 1)]
        imports = _top_level_imports(module) if as_parent else _module_imports(module)
        todo += [(m, False) for m in imports] + [(parent, True) for parent in parents]
    return set(seen)


@cache
def stage_modules(stage: str) -> frozenset[str]:
    """The package modules the pipeline stage ``stage`` can run.

    Examples
    --------
    >>> modules = stage_modules("figure_results")
    >>> "rlstrial.figures" in modules, "rlstrial.mmrm.fit" in modules
    (True, False)
    >>> "rlstrial.mmrm.fit" in stage_modules("analyze")
    True
    """
    pipeline = _tree("rlstrial.pipeline")
    function = next(
        node for node in pipeline.body if isinstance(node, ast.FunctionDef) and node.name == stage
    )
    top = {
        module
        for node in pipeline.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for module in _imported(node)
    }
    # pipeline itself counts, but not what its other stages import
    return frozenset({"rlstrial.pipeline"} | _closure({*top, *_imported(function)}))


@cache
def _pipeline_lines() -> tuple[str, ...]:
    return tuple(_path("rlstrial.pipeline").read_text(encoding="utf-8").splitlines())


def _pipeline_part(stage: str) -> bytes:
    """The part of ``pipeline.py`` a stage runs: its function and the module's top level
    (imports, constants, classes), not the other stages."""
    lines = _pipeline_lines()
    parts = [
        "\n".join(lines[node.lineno - 1 : node.end_lineno])
        for node in _tree("rlstrial.pipeline").body
        if not isinstance(node, ast.FunctionDef) or node.name == stage
    ]
    return "\n".join(parts).encode()


def stage_digest(stage: str, *extra: str | Path) -> str:
    """SHA-256 of the source (and data files) of :func:`stage_modules` (of
    ``pipeline.py`` only the stage's own function and the module's top level), and of
    the ``extra`` files (e.g. the workflow scripts' shared helpers), hex."""
    modules = stage_modules(stage) - {"rlstrial.pipeline"}
    files = {_path(module) for module in modules}
    for module, patterns in RESOURCES.items():
        if module in modules:
            files |= {path for pattern in patterns for path in PACKAGE.glob(pattern)}
    digest = hashlib.sha256(b"pipeline.py\0" + _pipeline_part(stage))
    for path in sorted(files):
        digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes())
    for path in map(Path, extra):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
