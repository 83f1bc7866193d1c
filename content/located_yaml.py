"""YAML that remembers line numbers, so every content error can name FILE:LINE."""

from __future__ import annotations

from typing import Any

import yaml


class LocatedDict(dict[str, Any]):
    """A mapping with the 1-based line of itself and of each key, the keys it repeated, and each scalar value
    as written (see `as_written`). Keys are always text, as written: `on:` is the key 'on', not True."""

    line: int = 1

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[str, int] = {}
        self.duplicates: list[tuple[str, int]] = []
        self.written: dict[str, str] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def as_written(self, key: str) -> str | None:
        """The value as the author typed it, for fields that are text. YAML 1.1 reads `Yes` as true, `16:25`
        as 985 and `010` as 8; a button or a question must show what was written, not that. None when the
        value is missing, null, a list or a mapping."""
        value = self.get(key)
        return value if isinstance(value, str) else self.written.get(key)


class LocatedList(list[Any]):
    """A sequence with the 1-based line of itself and of each item, and each scalar item as written."""

    line: int = 1

    def __init__(self) -> None:
        super().__init__()
        self.item_lines: list[int] = []
        self.written: list[str | None] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line

    def as_written(self, index: int) -> str | None:
        """Item `index` as the author typed it (see `LocatedDict.as_written`)."""
        value = self[index]
        return value if isinstance(value, str) else self.written[index]


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences carry their positions."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    result = LocatedDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(None, None, "a key must be a plain word, not a list or a mapping",
                                                    key_node.start_mark)
        key = _written(key_node) or ""
        line = key_node.start_mark.line + 1
        if key in result:
            result.duplicates.append((key, line))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
        text = _written(value_node)
        if text is not None:
            result.written[key] = text
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList()
    result.line = node.start_mark.line + 1
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.item_lines.append(item.start_mark.line + 1)
        result.written.append(_written(item))
    return result


def _written(node: yaml.Node) -> str | None:
    """A scalar's text as it stands in the file (quotes and escapes resolved); None for null and non-scalars."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
        return None
    return str(node.value)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class YamlSyntaxError(ValueError):
    """The text is not YAML; `line` is the 1-based line in the file (see `load`)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


UNCLOSED = {
    "while parsing a flow sequence": "unclosed '['",
    "while parsing a flow mapping": "unclosed '{'",
    "while scanning a quoted scalar": "unclosed quote",
    "while scanning a simple key": "expected 'field: value', found no ':'",
}
"""Errors that PyYAML only notices lines after the mistake: the author needs the line where it began."""


def load(text: str, first_line: int = 1) -> Any:
    """Parse one YAML document whose first line is line `first_line` of its file; mappings become LocatedDict
    and sequences LocatedList (their lines count from the text's first line, 1)."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, first_line - 1) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML syntax error: {exc}", first_line) from exc


def _syntax_error(exc: yaml.MarkedYAMLError, offset: int) -> YamlSyntaxError:
    """At the line where an unclosed bracket or quote began, saying where the parser gave up; else at the
    line of the problem itself."""
    problem = exc.problem or str(exc)
    problem_line = exc.problem_mark.line + 1 + offset if exc.problem_mark else None
    context_line = exc.context_mark.line + 1 + offset if exc.context_mark else None
    opened = UNCLOSED.get(exc.context or "")
    if opened and context_line is not None:
        gave_up = f"the parser gave up on line {problem_line}: " if problem_line not in (None, context_line) else ""
        return YamlSyntaxError(f"YAML syntax error: {opened} ({gave_up}{problem})", context_line)
    return YamlSyntaxError(f"YAML syntax error: {problem}", problem_line or context_line or offset + 1)
