"""The settings reference, rendered from the settings objects themselves (every ``FAMILYPHOTO_*`` variable).

``python -m api.settings_doc > docs/settings.md``; a test checks the committed copy is current.
A default that depends on the machine (cores, home directory, where the code is) is given in words
by the field's ``json_schema_extra={"doc_default": ...}``, so the page is the same everywhere.
"""

from __future__ import annotations

import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal

import annotated_types
from pydantic.fields import FieldInfo

from api.settings import ServiceSettings
from inference.settings import Settings

DOC_DEFAULT = "doc_default"
REGENERATE = "python -m api.settings_doc > docs/settings.md"

_HEADER = f"""\
# Settings

Every setting is an environment variable, read once at start-up. **pipeline** settings
(`inference/settings.py`, `Settings`) shape how photos are decoded and faces detected, cropped and
classified, for every command and the service; **service** settings (`api/settings.py`,
`ServiceSettings`, which adds them to the pipeline's) only concern `familyphoto serve` and
`familyphoto enrol`. Lists are JSON, e.g. `FAMILYPHOTO_SORT_ROOTS='["/srv/photos"]'`.

<!-- Generated from the settings' fields by `{REGENERATE}`: edit the fields, not this page. -->
"""

_TYPE_NAMES: dict[Any, str] = {Path: "path", int: "integer", float: "number", str: "string", bool: "true or false"}


def settings_markdown() -> str:
    """docs/settings.md: one row per field of :class:`ServiceSettings`, pipeline fields first."""
    prefix = ServiceSettings.model_config.get("env_prefix", "")
    rows = [
        "| variable | used by | type | default | what |",
        "|---|---|---|---|---|",
    ]
    for name, field in ServiceSettings.model_fields.items():
        used_by = "pipeline" if name in Settings.model_fields else "service"
        rows.append(
            f"| `{prefix}{name.upper()}` | {used_by} | {_cell(_type(field))} | {_cell(_default(name, field))} "
            f"| {_cell(field.description or '')} |"
        )
    return _HEADER + "\n" + "\n".join(rows) + "\n"


def _default(name: str, field: FieldInfo) -> str:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if DOC_DEFAULT in extra:
        return str(extra[DOC_DEFAULT])
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        if value not in ([], {}):  # anything else may differ from machine to machine: say it in words
            raise ValueError(f"settings field {name!r} has a computed default: give it json_schema_extra={{{DOC_DEFAULT!r}: ...}}")
    else:
        value = field.default
    if value is None:
        return "unset"
    if isinstance(value, list):
        return "`[]`" if not value else f"`{value}`"
    return f"`{value}`"


def _type(field: FieldInfo) -> str:
    text = _type_name(field.annotation)
    bounds = []
    for item in field.metadata:
        if isinstance(item, annotated_types.Ge):
            bounds.append(f"≥ {item.ge}")
        elif isinstance(item, annotated_types.Gt):
            bounds.append(f"> {item.gt}")
        elif isinstance(item, annotated_types.Le):
            bounds.append(f"≤ {item.le}")
        elif isinstance(item, annotated_types.Lt):
            bounds.append(f"< {item.lt}")
    return f"{text} ({', '.join(bounds)})" if bounds else text


def _type_name(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None))
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"JSON list of {_type_name(args[0])}s" if args else "JSON list"
    return _TYPE_NAMES.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main() -> None:
    sys.stdout.write(settings_markdown())


if __name__ == "__main__":
    main()
