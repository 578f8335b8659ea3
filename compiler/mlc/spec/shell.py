"""The POSIX quote scanner of SPEC 5.4: where in a `/bin/sh -c` string does an offset fall?

Values never enter shell text. A reference becomes an expansion of its `MLC_*` variable chosen
by the quoting around it:

| position             | expansion                |
|----------------------|--------------------------|
| unquoted             | `"$MLC_X"`               |
| inside `"..."`       | `${MLC_X}`               |
| inside `'...'`       | `'"$MLC_X"'`             |
| here-document body   | E206                     |
| unterminated quote   | E206                     |

Pure functions, tested exhaustively in tests/unit/spec/test_shell.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

Quoting = Literal["unquoted", "double", "single", "heredoc", "unterminated"]

_HEREDOC = re.compile(r"<<(-?)[ \t]*(?:'([^'\n]*)'|\"([^\"\n]*)\"|\\?([A-Za-z0-9_.-]+))")


def quoting_at(command: str, offsets: Sequence[int]) -> list[Quoting]:
    """The quoting state at each offset of `command` (offsets of references' `$`)."""
    states = _scan(command)
    out: list[Quoting] = []
    for off in offsets:
        state = states[off] if off < len(states) else "unquoted"
        out.append(state)
    return out


def expansion(var: str, quoting: Quoting) -> str:
    """The shell text that expands environment variable `var` safely at this position."""
    if quoting == "unquoted":
        return f'"${var}"'
    if quoting == "double":
        return "${" + var + "}"
    if quoting == "single":
        return f"'\"${var}\"'"
    raise ValueError(f"no safe expansion inside {quoting}")


# the characters that can change the quoting state (and `$(`); a command without them is
# unquoted all through (most commands: `python train.py --out ${{ outputs.model }}`)
_QUOTING = re.compile(r"[\\'\"#<`]")


def _scan(s: str) -> list[Quoting]:
    """Per-character quoting state. Handles `\\`, '...', "...", $(...), `...`, comments and
    here-documents (the body starts on the line after `<<WORD` and ends at a line `WORD`)."""
    n = len(s)
    if "$(" not in s and _QUOTING.search(s) is None:
        return ["unquoted"] * n
    state: list[Quoting] = ["unquoted"] * n
    # stack of contexts: "n" normal (top level or inside $( ) / backticks), "d" double quotes
    stack: list[str] = ["n"]
    opened: list[int] = [0]  # where each context on the stack began
    pending: list[tuple[str, bool]] = []  # here-documents opened on the current line
    i = 0
    while i < n:
        ctx = stack[-1]
        c = s[i]
        if ctx == "n":
            state[i] = "unquoted"
            if c == "\\":
                if i + 1 < n:
                    state[i + 1] = "unquoted"
                i += 2
                continue
            if c == "'":
                end = s.find("'", i + 1)
                if end < 0:
                    _fill(state, i, n, "unterminated")
                    return state
                _fill(state, i + 1, end, "single")
                state[end] = "unquoted"
                i = end + 1
                continue
            if c == '"':
                stack.append("d")
                opened.append(i)
                i += 1
                continue
            if c == "#" and (i == 0 or s[i - 1] in " \t\n;&|()"):
                end = s.find("\n", i)
                end = n if end < 0 else end
                i = end
                continue
            if c == "<" and s.startswith("<<", i) and not s.startswith("<<<", i):
                m = _HEREDOC.match(s, i)
                if m:
                    word = m.group(2) if m.group(2) is not None else (
                        m.group(3) if m.group(3) is not None else m.group(4))
                    pending.append((word, m.group(1) == "-"))
                    i = m.end()
                    continue
            if c == "$" and s.startswith("$(", i):
                stack.append("n")
                opened.append(i)
                i += 2
                continue
            if c == ")" and len(stack) > 1:
                stack.pop()
                opened.pop()
                i += 1
                continue
            if c == "`":
                i += 1
                continue
            if c == "\n" and pending:
                i = _heredoc_bodies(s, i + 1, pending, state)
                pending = []
                continue
            i += 1
            continue
        # inside double quotes
        state[i] = "double"
        if c == "\\":
            if i + 1 < n:
                state[i + 1] = "double"
            i += 2
            continue
        if c == '"':
            stack.pop()
            opened.pop()
            i += 1
            continue
        if c == "$" and s.startswith("$(", i):
            stack.append("n")
            opened.append(i)
            i += 2
            continue
        i += 1
    if len(stack) > 1:  # an unclosed " or $( : nothing after its start is safe
        _fill(state, opened[1], n, "unterminated")
    if pending:  # a here-document whose body never starts
        _fill(state, n, n, "heredoc")
    return state


def _heredoc_bodies(s: str, i: int, pending: list[tuple[str, bool]], state: list[Quoting]) -> int:
    n = len(s)
    for word, strip_tabs in pending:
        while i <= n:
            end = s.find("\n", i)
            end = n if end < 0 else end
            line = s[i:end]
            if (line.lstrip("\t") if strip_tabs else line) == word:
                i = end + 1
                break
            _fill(state, i, end, "heredoc")
            if end < n:
                state[end] = "heredoc"
            i = end + 1
            if end >= n:
                _fill(state, 0, 0, "heredoc")
                return n
    return i


def _fill(state: list[Quoting], a: int, b: int, value: Quoting) -> None:
    for k in range(a, min(b, len(state))):
        state[k] = value


def rewrite(command: str, pieces: Sequence[tuple[int, int, str, bool]]) -> str:
    """Replace spans of `command`: each piece is (start, end, text, is_variable).

    A variable piece names an environment variable and becomes the expansion that fits its
    quoting; a literal piece (an artifact path chosen by mlc) is spliced as is. Raises
    ValueError for a variable inside a here-document or an unterminated quote (E206 is
    reported by validation before any lowering).
    """
    states = quoting_at(command, [p[0] for p in pieces])
    out, last = [], 0
    for (start, end, text, is_var), state in sorted(zip(pieces, states), key=lambda x: x[0][0]):
        out.append(command[last:start])
        out.append(expansion(text, state) if is_var else text)
        last = end
    out.append(command[last:])
    return "".join(out)
