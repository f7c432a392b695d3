"""Markdown to HTML (once per article) and to plain-text blocks for the analysis.

Raw HTML in Markdown is escaped, never passed through: articles come from scraped pages.
markdown-it's own link check already refuses ``javascript:``, ``vbscript:`` and ``file:`` URLs.
Smart quotes are off: markdown-it's typographer is quadratic on quote-heavy paragraphs.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from digest.models import Block, BlockKind

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

CAPTION = "caption"


def _render_caption(self: Any, tokens: Sequence[Token], idx: int, _options: Any, _env: Any) -> str:
    # A caption without its image (scraped text keeps only the words): a figure with a figcaption.
    return '<figure class="caption"><figcaption>\n' if tokens[idx].nesting == 1 else "</figcaption></figure>\n"


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    # Imported at the first article to parse: a build whose articles all come from the read
    # cache parses none, and would pay ~50 ms for the import.
    from markdown_it import MarkdownIt
    from mdit_py_plugins.container import container_plugin

    parser = MarkdownIt("commonmark", {"html": False, "typographer": False})
    parser.enable(["table", "strikethrough"])
    container_plugin(parser, CAPTION, render=_render_caption)
    return parser


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts).strip()


def blocks_from_tokens(tokens: Sequence[Token]) -> tuple[Block, ...]:
    """The body's text blocks, each tagged with what it is (paragraph, heading, caption ...)."""
    blocks: list[Block] = []
    context: list[str] = []
    for token in tokens:
        if token.nesting == 1 and token.type != "paragraph_open":
            context.append(token.type)
        elif token.nesting == -1 and token.type != "paragraph_close" and context:
            context.pop()
        elif token.type == "inline":
            text = _inline_text(token)
            if not text:
                continue
            kind: BlockKind = "paragraph"
            if f"container_{CAPTION}_open" in context:
                kind = "caption"
            elif context and context[-1] == "heading_open":
                kind = "heading"
            elif "blockquote_open" in context:
                kind = "blockquote"
            elif "list_item_open" in context:
                kind = "list_item"
            elif "table_open" in context:
                continue
            blocks.append(Block(kind, text))
    return tuple(blocks)


def render_markdown(text: str) -> tuple[str, tuple[Block, ...]]:
    """Parse once; return the HTML and the plain-text blocks."""
    parser = markdown_parser()
    tokens = parser.parse(text)
    html = parser.renderer.render(tokens, parser.options, {})
    return html, blocks_from_tokens(tokens)
