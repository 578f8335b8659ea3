"""`--help` as people read it: argument names without typer's type labels (`<list[str]>`) and
braces (`{CODE}`); examples kept on their own lines (each command's docstring marks its
examples with click's no-rewrap marker)."""

from __future__ import annotations

import re

from typer.core import TyperCommand

_USAGE_BRACES = re.compile(r"\{([A-Z][A-Z_]*)\}")
_TYPE_LABEL = re.compile(r"^(\s+\S+(?:\.\.\.)?) <[^>\n]+>", re.M)


class Command(TyperCommand):
    def get_help(self, ctx) -> str:
        text = super().get_help(ctx)
        head, sep, rest = text.partition("\nArguments:\n")
        head = _USAGE_BRACES.sub(r"\1", head)
        if sep:
            arguments, sep2, tail = rest.partition("\n\n")
            rest = _TYPE_LABEL.sub(r"\1", arguments) + sep2 + tail
        return head + sep + rest
