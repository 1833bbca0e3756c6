"""Straight quotes to curly ones: markdown-it-py's `smartquotes` core rule, made linear.

The original (markdown_it/rules_core/smartquotes.py, itself a port of markdown-it's JS) is
quadratic three ways on hostile text: it searches a fresh copy of the rest of the text for
each quote, rebuilds the whole text for each quote it replaces, and, for each closing quote,
walks back over every opener of the other kind (`'a ` x N then `a" ` x N). `'"` x 200,000
took 45 s. This port makes the same decisions in the same order, with:

- the search continuing in place (`pattern.search(text, pos)`);
- replacements collected per token and applied once at the end of the inline block;
- the stack of openers kept with, per kind, the indices of its openers. Levels on the stack
  never decrease from bottom to top (a token first drops the openers deeper than itself),
  so the rule's backward walk, which stops at the first opener of a lower level and takes
  the first of the same kind and level, finds exactly the topmost opener of that kind if
  that one is at the current level.

The neighbours of a quote are read from the text as written, where the rule reads them after
earlier replacements: with the default quotes (single punctuation characters, like `'` and
`"` themselves) both classify the same.
"""

from __future__ import annotations

import re

from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.token import Token

QUOTE = re.compile(r"['\"]")
APOSTROPHE = "\u2019"


def smartquotes(state) -> None:
    """The core rule: replaces markdown-it's `smartquotes` (same name, same place)."""
    if not state.md.options.typographer:
        return
    quotes = state.md.options.quotes
    for token in state.tokens:
        if token.type == "inline" and token.children is not None and QUOTE.search(token.content):
            _process(token.children, quotes)


def _process(tokens: list[Token], quotes) -> None:
    stack: list[tuple[int, int, bool, int]] = []  # (token index, position, single, level)
    kinds: dict[bool, list[int]] = {True: [], False: []}  # stack indices of each kind
    edits: dict[int, list[str]] = {}  # token index -> its characters, some replaced

    def truncate(size: int) -> None:
        del stack[size:]
        for indices in kinds.values():
            while indices and indices[-1] >= size:
                indices.pop()

    def replace(index: int, position: int, char: str) -> None:
        chars = edits.get(index)
        if chars is None:
            chars = edits[index] = list(tokens[index].content)
        chars[position] = char

    for i, token in enumerate(tokens):
        level = token.level
        size = len(stack)
        while size and stack[size - 1][3] > level:
            size -= 1
        truncate(size)
        if token.type != "text":
            continue

        text = token.content
        end = len(text)
        match = QUOTE.search(text)
        while match is not None:
            at = match.start()
            single = match.group() == "'"
            last = _before(tokens, i, text, at)
            after = _after(tokens, i, text, at + 1, end)

            last_punct = last is not None and (isMdAsciiPunct(last) or isPunctChar(chr(last)))
            next_punct = after is not None and (isMdAsciiPunct(after) or isPunctChar(chr(after)))
            last_space = last is not None and isWhiteSpace(last)
            next_space = after is not None and isWhiteSpace(after)

            can_open = can_close = True
            if next_space or (next_punct and not (last_space or last_punct)):
                can_open = False
            if last_space or (last_punct and not (next_space or next_punct)):
                can_close = False
            if after == 0x22 and not single and last is not None and 0x30 <= last <= 0x39:
                can_open = can_close = False  # 1"" - the first quote is an inch mark
            if can_open and can_close:  # inside punctuation (foo-"-bar) but not in a word
                can_open, can_close = last_punct, next_punct

            match = QUOTE.search(text, at + 1)
            if not can_open and not can_close:
                if single:  # inside a word
                    replace(i, at, APOSTROPHE)
                continue

            if can_close:
                indices = kinds[single]
                if indices and stack[indices[-1]][3] == level:
                    j = indices[-1]
                    opener_token, opener_at = stack[j][0], stack[j][1]
                    open_quote, close_quote = (quotes[2], quotes[3]) if single else quotes[:2]
                    replace(i, at, close_quote)
                    replace(opener_token, opener_at, open_quote)
                    truncate(j)
                    continue

            if can_open:
                kinds[single].append(len(stack))
                stack.append((i, at, single, level))
            elif can_close and single:
                replace(i, at, APOSTROPHE)

    for index, chars in edits.items():
        tokens[index].content = "".join(chars)


def _before(tokens: list[Token], i: int, text: str, at: int) -> int | None:
    """The character before a quote, across tokens up to a line break (a space if none)."""
    if at > 0:
        return ord(text[at - 1])
    for j in range(i - 1, -1, -1):
        if tokens[j].type in ("softbreak", "hardbreak"):
            break
        if tokens[j].content:
            return ord(tokens[j].content[-1])
    return 0x20


def _after(tokens: list[Token], i: int, text: str, pos: int, end: int) -> int | None:
    """The character after a quote, across tokens up to a line break (a space if none)."""
    if pos < end:
        return ord(text[pos])
    for j in range(i + 1, len(tokens)):
        if tokens[j].type in ("softbreak", "hardbreak"):
            break
        if tokens[j].content:
            return ord(tokens[j].content[0])
    return 0x20
