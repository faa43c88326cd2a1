"""Reporting-checklist map: each CONSORT 2025 item, the outputs that address it, or
who does and why.

The map lives in ``rlstrial/checklists/consort2025.yaml`` (items in the statement's
order, plus the factorial extension's key recommendations); :func:`checklist_map`
resolves its output patterns against one workflow run and fails, naming every item
and pattern, when a promised output is missing.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

DEFAULT_CHECKLIST = "consort2025.yaml"
COLUMNS = ["guideline", "section", "item", "topic", "requirement", "addressed by", "note"]


class ChecklistError(ValueError):
    """The checklist map is malformed or promises outputs a run did not write."""


def load_checklist(name: str = DEFAULT_CHECKLIST) -> dict:
    """Read a checklist map shipped with the package (or from a path).

    Examples
    --------
    >>> checklist = load_checklist()
    >>> [item["item"] for item in checklist["items"]][:6]
    ['1a', '1b', '2', '3', '4', '5a']
    """
    import yaml

    path = Path(name)
    if path.is_file():
        text = path.read_text(encoding="utf-8")
    else:
        text = (resources.files("rlstrial") / "checklists" / name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _config_has(config: dict, dotted: str) -> bool:
    node = config
    for key in dotted.split("."):
        if not isinstance(node, dict) or node.get(key) in (None, False, [], {}):
            return False
        node = node[key]
    return True


def _check_items(items: list[dict]) -> list[str]:
    problems = []
    seen = set()
    for position, item in enumerate(items, start=1):
        label = f"item {item.get('item', f'#{position}')}"
        for key in ("item", "section", "topic", "requirement"):
            if not item.get(key):
                problems.append(f"{label}: no '{key}'")
        if str(item.get("item")) in seen:
            problems.append(f"{label}: listed twice")
        seen.add(str(item.get("item")))
        if bool(item.get("outputs")) == bool(item.get("none")):
            problems.append(f"{label}: give either 'outputs' or 'none' (why no output does)")
        problems += [f"{label}: {problem}" for problem in _unregistered(item)]
    return problems


def _unregistered(item: dict) -> list[str]:
    """Table and figure patterns of an item that name no registered output."""
    from rlstrial.registry import is_registered

    problems = []
    for output in item.get("outputs") or []:
        path = output["path"] if isinstance(output, dict) else output
        folder, _, name = path.rpartition("/")
        if folder.endswith(("/tables", "/figures")) and not is_registered(name.split(".")[0]):
            problems.append(f"{path} is not a registered table or figure (rlstrial.registry)")
    return problems


def checklist_map(
    roots: dict[str, str | Path], config: dict, checklist: dict | None = None
) -> pd.DataFrame:
    """Map each checklist item to the outputs of one run that address it.

    Parameters
    ----------
    roots
        Folder of each placeholder used in the output patterns, e.g.
        ``{"results": "results", "processed": "data/processed"}``.
    config
        The run's config; an output written as ``{path, when}`` is expected only when
        the config key ``when`` (dotted path) is set.
    checklist
        A map as read by :func:`load_checklist` (default: CONSORT 2025).

    Returns
    -------
    DataFrame
        One row per item (:data:`COLUMNS`). ``addressed by`` lists each pattern as the
        map writes it (``{results}/...``), with the number of files it matched.

    Raises
    ------
    ChecklistError
        Listing every malformed item and every pattern that matched no file.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "tables").mkdir()
    >>> _ = (folder / "tables" / "harms.csv").write_text("harm\\n")
    >>> tiny = {"items": [
    ...     {"item": "15", "section": "Methods", "topic": "Harms",
    ...      "requirement": "How harms were assessed.",
    ...      "outputs": ["{results}/tables/harms.csv"]},
    ...     {"item": "16a", "section": "Methods", "topic": "Sample size",
    ...      "requirement": "How the sample size was set.", "none": "Protocol text."}]}
    >>> table = checklist_map({"results": folder}, {}, tiny)
    >>> table["addressed by"].tolist()
    ['{results}/tables/harms.csv', '']
    >>> table["note"].tolist()
    ['', 'Protocol text.']
    """
    checklist = checklist if checklist is not None else load_checklist()
    items = checklist["items"]
    problems = _check_items(items)
    rows = []
    for item in items:
        found, skipped = [], []
        for output in item.get("outputs") or []:
            spec = output if isinstance(output, dict) else {"path": output}
            if spec.get("when") and not _config_has(config, spec["when"]):
                skipped.append(spec["when"])
                continue
            root_name = spec["path"].split("}", 1)[0].removeprefix("{")
            if root_name not in roots:
                problems.append(f"item {item['item']}: unknown folder '{{{root_name}}}'")
                continue
            root = Path(roots[root_name])
            relative = spec["path"].split("}", 1)[1].lstrip("/")
            matches = sorted(p for p in root.glob(relative) if p.is_file())
            if not matches:
                problems.append(f"item {item['item']}: no file matches {root / relative}")
                continue
            shown = spec["path"]  # as written, so the map does not depend on the folder
            found.append(shown if len(matches) == 1 else f"{shown} ({len(matches)} files)")
        note = item.get("none") or " ".join(str(item.get("note", "")).split())
        if skipped and not found:
            note = f"Not produced: the plan sets no {', '.join(skipped)}. {note}".strip()
        extends = f" (extends item {item['extends']})" if item.get("extends") else ""
        rows.append(
            {
                "guideline": item.get("guideline", "CONSORT 2025") + extends,
                "section": item["section"],
                "item": str(item["item"]),
                "topic": item["topic"],
                "requirement": " ".join(str(item["requirement"]).split()),
                "addressed by": "; ".join(found),
                "note": " ".join(note.split()),
            }
        )
    if problems:
        raise ChecklistError(
            "The checklist map does not hold for this run:\n  " + "\n  ".join(problems)
        )
    return pd.DataFrame(rows, columns=COLUMNS)
