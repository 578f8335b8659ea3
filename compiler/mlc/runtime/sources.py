"""The sources of the runtime modules, for embedding in target definitions; `compact_source`
drops what a program does not need (docstrings, comments, blank lines).
"""

from __future__ import annotations

from importlib import resources

MODULES = ("gates", "items", "chunk", "relink", "select", "decide", "analysis", "run_info",
           "cachekey", "promote",
           "pack", "rollout", "batch")


def source_of(name: str) -> str:
    """The source of runtime module `name`, for an inline script."""
    if name not in MODULES:
        raise KeyError(name)
    return resources.files(__package__).joinpath(f"{name}.py").read_text(encoding="utf-8")


def compact_source(name: str) -> str:
    """The module without docstrings, comment lines and blank lines: the same program, smaller
    (by plain line rules, so the bytes do not depend on the Python version compiling)."""
    out: list[str] = []
    lines = source_of(name).split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        previous = out[-1].rstrip() if out else ""
        docstring = stripped.startswith('"""') and (not out or previous.endswith(":"))
        if docstring:
            rest = stripped[3:]
            while '"""' not in rest:
                i += 1
                rest = lines[i]
            i += 1
            if out and previous.endswith(":") and (i >= len(lines) or
                                                   _indent(lines[i]) <= _indent(previous)):
                out.append(" " * _indent(line) + "pass")
            continue
        if stripped and not stripped.startswith("#"):
            out.append(_strip_comment(line))
        i += 1
    # One space per indentation level: the same program (statement lines are indented in
    # steps of four; continuation lines sit inside brackets, where indentation is free).
    return "\n".join(" " * (_indent(line) // 4) + line.lstrip(" ") for line in out) + "\n"


def _strip_comment(line: str) -> str:
    """Drop a trailing `# comment` when the `#` is outside any string literal."""
    at = line.find("  # ")
    if at < 0:
        return line
    code = line[:at]
    if code.count('"') % 2 == 0 and code.count("'") % 2 == 0:
        return code.rstrip()
    return line


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))
