"""Validate YAML documents against :mod:`lineage.model.schema`, reporting every problem with its
``path:line:col``.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from lineage.model.errors import InputError, InputErrors, did_you_mean
from lineage.model.files import Document, LoadedFile, PathKey
from lineage.model.schema import FileSpec

_KIND_WORDS = {
    "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping",
    "model_attributes_type": "a mapping", "string_type": "text", "int_parsing": "a whole number",
    "int_type": "a whole number", "int_from_float": "a whole number",
    "bool_parsing": "true or false", "bool_type": "true or false",
    "greater_than_equal": "zero or more",
}


def _model_class_at(loc: PathKey) -> type[BaseModel] | None:
    """The pydantic class that validates the mapping at ``loc`` (for "did you mean")."""
    cls: Any = FileSpec
    for item in loc:
        if isinstance(cls, _DictOf):
            cls = _unwrap(cls.value)
        elif isinstance(item, int):
            continue
        elif isinstance(cls, type) and issubclass(cls, BaseModel):
            field = next((f for n, f in cls.model_fields.items() if (f.alias or n) == item), None)
            if field is None:
                return None
            cls = _unwrap(field.annotation)
        else:
            return None
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """Strip Optional/list around a field's annotation; mark dicts by their value type."""
    origin = typing.get_origin(tp)
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if origin in (typing.Union, types.UnionType):
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        return _unwrap(models[0]) if models else tp
    if origin is list and args:
        return _unwrap(args[0])
    if origin is dict and len(args) == 2:
        return _DictOf(args[1])
    return tp


class _DictOf:
    def __init__(self, value: Any) -> None:
        self.value = value


_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict", "none"})


def _doc_loc(data: Any, loc: tuple[Any, ...]) -> PathKey:
    """Keep the parts of a pydantic ``loc`` that name places in the document."""
    out: list[str | int] = []
    for item in loc:
        in_list = isinstance(data, list) and isinstance(item, int) and 0 <= item < len(data)
        if in_list or (isinstance(data, dict) and item in data):
            data = data[item]
            out.append(item)
        elif isinstance(item, str) and not isinstance(data, dict | list):
            continue
        elif isinstance(item, str) and ("[" in item or item[:1].isupper() or item in _TAGS):
            continue  # union branch or validator tags, e.g. "function-plain[check()]"
        else:
            out.append(item)
    return tuple(out)


def _name(loc: PathKey) -> str:
    """How to name the place ``loc`` in a message: "steps" or "steps item 1"."""
    if not loc:
        return "the file"
    if isinstance(loc[-1], int):
        return f'"{loc[-2]}" item {loc[-1] + 1}' if len(loc) > 1 else f"item {loc[-1] + 1}"
    return f'"{loc[-1]}"'


def _message(err: Any, loc: PathKey, value: Any) -> str:
    kind = err["type"]
    key = str(loc[-1]) if loc else "file"
    if kind == "extra_forbidden":
        cls = _model_class_at(loc[:-1])
        fields = [f.alias or n for n, f in cls.model_fields.items()] if cls else []
        return f'unknown key "{key}"' + did_you_mean(key, fields)
    if kind == "missing":
        hint = '; start the file with "lineage: 1"' if loc == ("lineage",) else ""
        return f'missing required key "{key}"{hint}'
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", err.get("ctx", {}).get("expected", ""))
        return f'unknown {key} "{value}"' + (did_you_mean(str(value), expected)
                                             or f"; expected one of: {', '.join(expected)}")
    if kind == "field_conflict":
        return str(err["msg"])
    if kind == "value_error":
        return str(err.get("ctx", {}).get("error", err["msg"]))
    if kind in _KIND_WORDS:
        shown = f' (got "{value}")' if isinstance(value, str) else ""
        return f"{_name(loc)} must be {_KIND_WORDS[kind]}{shown}"
    return f"{key}: {err['msg']}"


def _value_at(data: Any, loc: PathKey) -> Any:
    for item in loc:
        try:
            data = data[item]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def validate_document(doc: Document, *, is_registry: bool = False) -> LoadedFile:
    """Validate one document.

    Raises:
        InputErrors: one :class:`InputError` per problem, each at its line and column.
    """
    if not isinstance(doc.data, dict):
        raise InputErrors([InputError(doc.at(()), "a lineage file is a mapping that starts "
                                      'with "lineage: 1"')])
    try:
        spec = FileSpec.model_validate(doc.data)
    except ValidationError as exc:
        errors: list[InputError] = []
        kinds: dict[PathKey, list[str]] = {}
        for err in exc.errors():
            loc = _doc_loc(doc.data, tuple(err["loc"]))
            if err["type"] == "field_conflict":
                key = err["ctx"]["key"]
                loc = (*loc, key) if isinstance(_value_at(doc.data, loc), dict) and \
                    key in _value_at(doc.data, loc) else loc
            value = _value_at(doc.data, loc)
            where = doc.at(loc, key=err["type"] in ("extra_forbidden", "field_conflict"))
            if err["type"] == "missing":
                where = doc.at(loc[:-1])
            if err["type"] in _KIND_WORDS and loc in kinds:  # the branches of a union
                kinds[loc].append(_KIND_WORDS[err["type"]])
                errors = [e for e in errors if e.where != where]
                errors.append(InputError(where, f"{_name(loc)} must be "
                                         f"{' or '.join(dict.fromkeys(kinds[loc]))}"))
                continue
            if err["type"] in _KIND_WORDS:
                kinds[loc] = [_KIND_WORDS[err["type"]]]
            errors.append(InputError(where, _message(err, loc, value)))
        raise InputErrors(errors) from None
    from lineage.io.codecarbon import resolve_steps

    return LoadedFile(doc, resolve_steps(doc, spec), is_registry)
