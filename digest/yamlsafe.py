"""A strict, safe YAML reader for front matter and ``config.yaml``.

PyYAML's ``safe_load`` still accepts things that hurt a site generator: aliases that explode
after loading, duplicate keys that silently keep the last value, YAML 1.1 booleans (``NO``),
timestamps that raise ``ValueError`` on impossible dates, and nesting deep enough to raise
``RecursionError``. This loader refuses or neutralises each of them and reports the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from digest.errors import DigestError

MAX_DEPTH = 20


class _PythonParser(Reader, Scanner, Parser):
    """PyYAML's own event source, for a PyYAML built without libyaml."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)


# libyaml's parser (4x faster on front matter) when PyYAML has it; PyYAML's own composer, below,
# still builds and checks the nodes either way.
_Parser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None) or _PythonParser


class _StrictLoader(Composer, _Parser, SafeConstructor, Resolver):  # type: ignore[misc]
    """SafeLoader without aliases, duplicate keys, YAML 1.1 booleans or implicit timestamps."""

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        Composer.__init__(self)

    line_offset = 0
    """Added to every reported line: where the YAML starts in its file (front matter: 1)."""

    # Fresh tables: only the types below are recognised or built. Anything else (!!python/...,
    # !!binary, !!set, !!timestamp) is an "unsupported YAML tag" error.
    yaml_implicit_resolvers = {}  # noqa: RUF012
    yaml_constructors = {  # noqa: RUF012
        tag: yaml.SafeLoader.yaml_constructors[tag]
        for tag in (
            "tag:yaml.org,2002:null",
            "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:float",
            "tag:yaml.org,2002:str",
            "tag:yaml.org,2002:seq",
            "tag:yaml.org,2002:map",
            None,
        )
    }

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise DigestError(
                "YAML aliases are not allowed",
                line=event.start_mark.line + 1 + self.line_offset,
                hint="write the value out in full instead of using '*name'",
            )
        event = self.peek_event()
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
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)$"),
    list("-+0123456789"),
)


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """Parsed YAML and where each key is, for error messages."""

    data: Any
    lines: dict[tuple[str | int, ...], int]
    """Key path (``("topics", 0, "name")``) -> 1-based file line."""


def _key_lines(root: Node | None, line_offset: int) -> dict[tuple[str | int, ...], int]:
    lines: dict[tuple[str | int, ...], int] = {}

    def walk(node: Node, path: tuple[str | int, ...]) -> None:
        lines.setdefault(path, node.start_mark.line + 1 + line_offset)
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                key_path = (*path, str(key_node.value))
                lines[key_path] = key_node.start_mark.line + 1 + line_offset
                walk(value_node, key_path)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    if root is not None:
        walk(root, ())
    return lines


def _syntax_error(error: yaml.MarkedYAMLError, line_offset: int) -> DigestError:
    """A YAML error as one line a person can act on, at the line where the trouble starts."""
    problem = str(error.problem or error.context or "invalid YAML")
    context = str(error.context or "")
    # For an unclosed quote or bracket the start (context) is where to look, not where YAML gave up
    # (the end of the front matter); for anything else, where it gave up: a tab that indents a line
    # is on that line, not on the line of the value scanned before it, and a block's mistake is
    # not on the line that opens the block.
    unclosed = context.startswith(("while scanning a quoted", "while parsing a flow"))
    mark = (error.context_mark if unclosed else None) or error.problem_mark or error.context_mark
    line = mark.line + 1 + line_offset if mark is not None else None
    tag = re.search(r"constructor for the tag '([^']*)'", problem)
    if tag:
        name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
        return DigestError(f"unsupported YAML tag {name}", line=line,
                           hint="remove the tag; only plain text, numbers, true/false, lists and mappings are read")
    if context.startswith("while scanning"):
        problem = f"{context}: {problem}"
    column = f", column {mark.column + 1}" if mark is not None else ""
    hint = ("indent with spaces, not tabs" if "tab character" in problem or "'\\t'" in problem
            else "check the indentation, and quote values that contain ':' or '#'")
    return DigestError(f"invalid YAML{column}: {problem}", line=line, hint=hint)


def load_yaml(text: str, line_offset: int = 0) -> YamlDocument:
    """Parse ``text`` once; raise DigestError with a 1-based file line on any problem.

    ``line_offset`` is the number of file lines before ``text`` (1 for front matter after '---').
    """
    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(text)  # the reader already rejects control characters here
        loader.line_offset = line_offset
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
        return YamlDocument(data, _key_lines(root, line_offset))
    except DigestError:
        raise
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, line_offset) from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1 + line_offset
        raise DigestError(f"character #x{error.character:04x} is not allowed in YAML", line=line,
                          hint="remove the control character") from None
    except yaml.YAMLError as error:
        raise DigestError(f"invalid YAML: {error}") from None
    except RecursionError:
        raise DigestError("nested too deeply", hint="flatten the structure") from None
    finally:
        if loader is not None:
            loader.dispose()
