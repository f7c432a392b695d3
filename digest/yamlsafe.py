"""A strict, safe YAML reader for front matter and ``config.yaml``.

PyYAML's ``safe_load`` still accepts things that hurt a site generator: aliases that explode
after loading, duplicate keys that silently keep the last value, YAML 1.1 booleans (``NO``),
timestamps that raise ``ValueError`` on impossible dates, and nesting deep enough to raise
``RecursionError``. This loader refuses or neutralises each of them and reports the line.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node

from digest.errors import DigestError

MAX_DEPTH = 20


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without aliases, duplicate keys, YAML 1.1 booleans or implicit timestamps."""

    line_offset = 0
    """Added to every reported line: where the YAML starts in its file (front matter: 1)."""

    # A fresh table: add_implicit_resolver below fills it with only the types we accept.
    yaml_implicit_resolvers = {}  # noqa: RUF012

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise DigestError(
                "YAML aliases are not allowed",
                line=event.start_mark.line + 1 + self.line_offset,
                hint="write the value out in full instead of using '*name'",
            )
        event = self.peek_event()  # type: ignore[no-untyped-call]
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise DigestError(
                "YAML anchors are not allowed",
                line=event.start_mark.line + 1 + self.line_offset,
                hint="remove '&" + str(anchor) + "' and write the value out in full",
            )
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise DigestError(
                    f"nested more than {MAX_DEPTH} levels deep",
                    line=event.start_mark.line + 1 + self.line_offset,
                    hint="flatten the structure",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise DigestError("keys must be plain words", line=key_node.start_mark.line + 1 + self.line_offset)
            line = key_node.start_mark.line + 1 + self.line_offset
            if key in seen:
                raise DigestError(
                    f"duplicate key '{key}' (first on line {seen[key]})",
                    line=line,
                    hint="keep only one of them",
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


# Implicit types we accept: YAML 1.2-style booleans, null, ints and floats. Dates stay strings
# and are parsed by our own code, so an impossible date is an error we can word well.
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789"),
)


def load_yaml(text: str, line_offset: int = 0) -> Any:
    """Parse ``text``; raise DigestError with a 1-based file line on any problem.

    ``line_offset`` is the number of file lines before ``text`` (1 for front matter after '---').
    """
    loader = _StrictLoader(text)
    loader.line_offset = line_offset
    try:
        return loader.get_single_data()
    except DigestError:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 + line_offset if mark is not None else None
        problem = str(error.problem or error.context or "invalid YAML")
        column = f", column {mark.column + 1}" if mark is not None else ""
        if "constructor for the tag" in problem:
            tag = problem.rsplit("tag", 1)[-1].strip(" '")
            raise DigestError(
                f"unsupported YAML tag {tag}",
                line=line,
                hint="remove the '!!' tag; only plain values, lists and mappings are read",
            ) from None
        raise DigestError(
            f"invalid YAML{column}: {problem}",
            line=line,
            hint="check the indentation and quote values that contain ':' or '#'",
        ) from None
    except yaml.YAMLError as error:
        raise DigestError(f"invalid YAML: {error}") from None
    except RecursionError:
        raise DigestError("nested too deeply", hint="flatten the structure") from None
    finally:
        loader.dispose()


def key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Map each key path (``("topics", 0, "name")``) to its 1-based line, for error messages.

    Call only on text that ``load_yaml`` accepted.
    """
    lines: dict[tuple[str | int, ...], int] = {}

    def walk(node: Node, path: tuple[str | int, ...]) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                key_path = (*path, str(key_node.value))
                lines[key_path] = key_node.start_mark.line + 1
                walk(value_node, key_path)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    root = yaml.compose(text, Loader=_StrictLoader)
    if root is not None:
        walk(root, ())
    return lines
