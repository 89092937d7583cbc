"""Mapping-kit: the directive language of Segment action mappings (`@path`, `@if`, `@template`, ...).

A port of the action runtime's mapping-kit, quirks included, because parity with the real runtime is
the point of this project: a falsy intermediate value ends a path walk and is returned as-is, option
checks use JavaScript truthiness on the raw option, missing values are `UNDEFINED` (not None) until the
end, and strings are formatted the way JavaScript's `String()` does.

Modules, by role:
- `values`: JavaScript value semantics (types, truthiness, property access) and the errors;
- `paths`: path lookup and `{{path}}` templates;
- `validate`: the runtime's mapping validation, with its messages;
- `directives`: the directive registry and the reference resolver (`interpret`), a direct port;
- `compile`: every directive compiled once into closures (`compile_mapping`), held equal to the
  reference by property tests;
- `schema`: `removeEmptyValues` after mapping.

`transform(mapping, data)` is the runtime's `transform` (validate, resolve, drop undefined), run
through the compiled form; `compile_mapping(mapping)` keeps the compiled function for many events.
The output never shares a dict or list with the input.
"""

from __future__ import annotations

from actions.jsjson import UNDEFINED

from .compile import compile_mapping
from .directives import DIRECTIVES, interpret
from .paths import get_path, render_template
from .schema import fields_to_schema, remove_empty_values, remove_empty_values_schema
from .validate import validate_mapping
from .values import MappingError, ValidationError, _check_data, js_property, real_type, truthy

__all__ = [
    "UNDEFINED",
    "DIRECTIVES",
    "MappingError",
    "ValidationError",
    "transform",
    "interpret",
    "compile_mapping",
    "validate_mapping",
    "get_path",
    "js_property",
    "real_type",
    "truthy",
    "render_template",
    "remove_empty_values",
    "remove_empty_values_schema",
    "fields_to_schema",
]


def transform(mapping, data=UNDEFINED):
    """Validate the mapping, resolve it against `data` and drop undefined values (the runtime's `transform`).

    The data is checked first, then the mapping, as the runtime does; to map many events, keep the
    function `compile_mapping` returns instead.
    """
    if data is UNDEFINED:
        data = {}
    _check_data(data)
    return compile_mapping(mapping)(data)
