"""The SPEC 5.4 quote scanner, case by case, and executed against a real /bin/sh."""

from __future__ import annotations

import os
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlc.spec.shell import expansion, quoting_at, rewrite

X = "X"  # marks the reference position in the cases below (no other X appears)

CASES = [
    # unquoted
    ("echo X", "unquoted"),
    ("X", "unquoted"),
    ("a=1; echo X", "unquoted"),
    ("echo \\\"X", "unquoted"),            # escaped quote does not open a string
    ("echo 'a' X", "unquoted"),            # after a closed single-quoted string
    ('echo "a" X', "unquoted"),            # after a closed double-quoted string
    ("echo $(echo X)", "unquoted"),        # inside command substitution
    ('echo "$(echo X)"', "unquoted"),      # $( ) inside "..." starts a new context
    ("echo `echo X`", "unquoted"),
    ("# comment X\necho", "unquoted"),     # comments are inert
    ("echo <<<X", "unquoted"),             # here-string, not a here-document
    ("cat <<EOF\nbody\nEOF\necho X", "unquoted"),  # after the here-document ends
    ("echo a#b X", "unquoted"),            # '#' inside a word is not a comment
    # double quotes
    ('echo "X"', "double"),
    ('echo "a X b"', "double"),
    ('echo "a \\" X"', "double"),          # escaped quote stays inside
    ('echo "$(echo "X")"', "double"),      # nested string inside $( ) inside "..."
    ("echo \"'X'\"", "double"),            # single quotes inside double quotes are literal
    # single quotes
    ("echo 'X'", "single"),
    ("echo 'a \" X'", "single"),           # double quote inside single quotes is literal
    ("echo 'a\\' X'", "unquoted"),         # backslash does not escape in '...': closes, reopens
    # here-documents
    ("cat <<EOF\nX\nEOF", "heredoc"),
    ("cat <<'EOF'\nX\nEOF", "heredoc"),
    ('cat <<"EOF"\nX\nEOF', "heredoc"),
    ("cat <<-EOF\n\tX\n\tEOF", "heredoc"),
    ("cat << EOF\nX\nEOF", "heredoc"),
    ("cat <<A <<B\na\nA\nX\nB", "heredoc"),  # second of two here-documents on one line
    ("cat <<EOF\nX", "heredoc"),            # never terminated
    # unterminated
    ('echo "a X', "unterminated"),
    ("echo 'a X", "unterminated"),
    ("echo $(echo X", "unterminated"),
    ('echo "ok" "X', "unterminated"),
]


@pytest.mark.parametrize("template,expected", CASES)
def test_quoting(template: str, expected: str) -> None:
    offset = template.index(X)
    command = template.replace(X, "$REF")
    assert quoting_at(command, [offset]) == [expected]


def test_several_offsets_in_one_command() -> None:
    cmd = "a $A \"b $B\" 'c $C' $(d \"$D\")"
    offsets = [cmd.index(v) for v in ("$A", "$B", "$C", "$D")]
    assert quoting_at(cmd, offsets) == ["unquoted", "double", "single", "double"]


def test_expansions() -> None:
    assert expansion("MLC_PARAM_X", "unquoted") == '"$MLC_PARAM_X"'
    assert expansion("MLC_PARAM_X", "double") == "${MLC_PARAM_X}"
    assert expansion("MLC_PARAM_X", "single") == "'\"$MLC_PARAM_X\"'"
    for bad in ("heredoc", "unterminated"):
        with pytest.raises(ValueError):
            expansion("MLC_PARAM_X", bad)


# --- executed: whatever the value, the shell prints it verbatim ---------------------------------

# (Command substitution strips trailing newlines: a property of the shell, modelled below.)
CONTEXTS = [
    "printf '%s' {R}",
    "printf '%s' \"[{R}]\"",
    "printf '%s' '[{R}]'",
    "printf '%s' \"$(printf '%s' {R})\"",
    "printf '%s' \"$(printf '%s' \"<{R}>\")\"",
    "v={R}; printf '%s' \"$v\"",
]
EXPECT = ["{V}", "[{V}]", "[{V}]", "{V}", "<{V}>", "{V}"]

HOSTILE = ["$(touch pwned)", "`touch pwned`", "\"; rm -rf /", "'; echo hi; '", "a\nb",
           "{{workflow.name}}", "${HOME}", "\\", "*", "$1", "-n", "", " lead and trail "]


def expected(index: int, value: str) -> str:
    shown = value.rstrip("\n") if index == 3 else value
    return EXPECT[index].replace("{V}", shown)


def _run(template: str, value: str, cwd) -> str:
    ref = "${{ params.x }}"
    command = template.replace("{R}", ref)
    start = command.index(ref)
    text = rewrite(command, [(start, start + len(ref), "MLC_PARAM_X", True)])
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MLC_PARAM_X": value}
    done = subprocess.run(["/bin/sh", "-c", text], env=env, cwd=cwd, capture_output=True)
    return done.stdout.decode("utf-8", "surrogateescape")


@pytest.mark.parametrize("index", range(len(CONTEXTS)))
@pytest.mark.parametrize("value", HOSTILE)
def test_shell_prints_value_verbatim(tmp_path, index: int, value: str) -> None:
    assert _run(CONTEXTS[index], value, tmp_path) == expected(index, value)
    assert not (tmp_path / "pwned").exists()


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=30)


@settings(max_examples=60, deadline=None)
@given(value=_TEXT, index=st.integers(0, len(CONTEXTS) - 1))
def test_shell_property(tmp_path_factory, value: str, index: int) -> None:
    cwd = tmp_path_factory.mktemp("sh")
    assert _run(CONTEXTS[index], value, cwd) == expected(index, value)
    assert list(cwd.iterdir()) == []
