"""Check H5P content against the libraries' published `semantics.json` (what the H5P editor builds and
H5P core's content validator reads), because the H5P libraries themselves (the JavaScript that plays
Interactive Video, True/False and Multiple Choice) are on no package registry and cannot be run here.

The semantics files in `tests/support/h5p/NAME-MAJOR.MINOR/` are copied unchanged from the libraries'
repositories (MIT): h5p/h5p-interactive-video c736aaa (1.27.23, the version i2v's packages declare),
h5p/h5p-true-false 7241d97 (1.8.24), h5p/h5p-multi-choice 5738a38 (1.16.27).

Stricter than H5P core in one way, on purpose: core silently drops a field it does not know and fills
a missing one from its default, so content that "imports" can still lose what i2v wrote. Here an unknown
field, a missing required field without a default, a wrong type, a value outside a select's options or a
number's range, text over its maxLength or not matching its regexp, and a sub-content library that the
field does not offer are all reported.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).parent / "h5p"


def semantics(machine_name: str) -> list[dict]:
    """The shipped semantics of a library by machine name (the one version shipped)."""
    found = sorted(FOLDER.glob(f"{machine_name}-*/semantics.json"))
    if not found:
        raise KeyError(f"no semantics shipped for {machine_name}")
    return json.loads(found[-1].read_text("utf-8"))


def shipped_version(machine_name: str) -> tuple[int, int]:
    library = json.loads(next(FOLDER.glob(f"{machine_name}-*/library.json")).read_text("utf-8"))
    return int(library["majorVersion"]), int(library["minorVersion"])


def validate(params: Any, fields: list[dict], where: str = "params") -> list[str]:
    """Problems of `params` (a library's params object) against its semantics `fields`."""
    return _group(params, {"type": "group", "fields": fields}, where, False)


def _group(value: Any, field: dict, where: str, relaxed: bool) -> list[str]:
    """`relaxed`: inside an optional group, whose fields the H5P editor leaves out while it is unused
    (real Interactive Video content has `adaptivity` without `seekTo`), so missing ones are not reported."""
    children = field.get("fields", [])
    relaxed = relaxed or bool(field.get("optional"))
    if len(children) == 1 and not isinstance(value, dict):  # H5P stores a one-field group as that field's value
        return _value(value, children[0], where, relaxed)
    if not isinstance(value, dict):
        return [f"{where}: a group must be an object, got {type(value).__name__}"]
    problems = []
    known = {child["name"] for child in children}
    problems += [f"{where}.{key}: not in the semantics (H5P would drop it)" for key in value if key not in known]
    for child in children:
        name = child["name"]
        if name in value:
            problems += _value(value[name], child, f"{where}.{name}", relaxed)
        elif not relaxed and not child.get("optional") and "default" not in child and child["type"] not in ("group", "list", "boolean"):
            problems.append(f"{where}.{name}: required and missing")
    return problems


def _value(value: Any, field: dict, where: str, relaxed: bool = False) -> list[str]:
    kind = field["type"]
    if kind == "group":
        return _group(value, field, where, relaxed)
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: a list must be an array"]
        problems = []
        if "min" in field and len(value) < int(field["min"]):
            problems.append(f"{where}: at least {field['min']} items")
        if "max" in field and len(value) > int(field["max"]):
            problems.append(f"{where}: at most {field['max']} items")
        for index, item in enumerate(value):
            problems += _value(item, field["field"], f"{where}[{index}]", relaxed)
        return problems
    if kind == "text":
        if not isinstance(value, str):
            return [f"{where}: text must be a string"]
        problems = []
        if "maxLength" in field and len(value) > int(field["maxLength"]):
            problems.append(f"{where}: longer than {field['maxLength']}")
        if "regexp" in field and not re.search(field["regexp"]["pattern"], value):
            problems.append(f"{where}: does not match /{field['regexp']['pattern']}/")
        return problems
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [f"{where}: a number is required"]
        problems = []
        if "min" in field and value < float(field["min"]):
            problems.append(f"{where}: under {field['min']}")
        if "max" in field and value > float(field["max"]):
            problems.append(f"{where}: over {field['max']}")
        return problems
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: a boolean is required"]
    if kind == "select":
        allowed = {option["value"] for option in field.get("options", [])}
        values = value if field.get("multiple") and isinstance(value, list) else [value]
        return [f"{where}: {v!r} is not one of {sorted(map(str, allowed))}" for v in values if v not in allowed]
    if kind == "library":
        return _library(value, field, where)
    if kind == "file":  # one file
        return [] if isinstance(value, dict) and "path" in value and "mime" in value else [f"{where}: file must be {{path, mime}}"]
    if kind in ("video", "audio"):  # a list of sources
        if not isinstance(value, list) or not all(isinstance(f, dict) and "path" in f and "mime" in f for f in value):
            return [f"{where}: {kind} must be a list of {{path, mime}}"]
        return []
    if kind == "image":
        return [] if isinstance(value, dict) and "path" in value else [f"{where}: image must be {{path, mime}}"]
    return []


def _library(value: Any, field: dict, where: str) -> list[str]:
    if not isinstance(value, dict) or not isinstance(value.get("library"), str):
        return [f"{where}: sub-content must be an object with 'library'"]
    offered = field.get("options", [])
    if value["library"] not in offered:
        return [f"{where}: library {value['library']!r} is not offered here ({', '.join(offered[:5])}…)"]
    extra = set(value) - {"library", "params", "subContentId", "metadata"}
    problems = [f"{where}.{key}: not part of sub-content" for key in sorted(extra)]
    name = value["library"].split()[0]
    try:
        fields = semantics(name)
    except KeyError:
        return problems  # a library whose semantics are not shipped: its params are not checked
    return problems + validate(value.get("params", {}), fields, f"{where}.params")
