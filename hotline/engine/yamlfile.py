"""YAML for the content files in flows/: safe loading that refuses a key written twice in one mapping.

PyYAML keeps the last of two equal keys without a word, so a second `es:` list under a finding would silently
drop the first one's phrases. The content files are edited by hand; a repeated key is always a mistake.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# The content files shipped with the code. (Named here, in a module that is never compiled: a compiled module's
# __file__ is where its build lives, not the source tree.)
SHIPPED_FLOWS = Path(__file__).resolve().parents[2] / "flows"


class _StrictLoader(yaml.SafeLoader):
    pass


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is written twice in one mapping (first on line {seen[key] + 1}); "
                f"merge the two: the second would silently replace the first", key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml(text: str) -> Any:
    """Parse YAML like `yaml.safe_load`, refusing a key repeated in one mapping (a yaml.YAMLError)."""
    loader = _StrictLoader(text)  # a SafeLoader: no Python objects can be built from the file
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
