"""Every command's ``--help``: what it does, how long it takes here, one example.

argparse wraps help at the terminal's width ($COLUMNS), and by default cuts a
word at a hyphen ("open-" / "loop") or in the middle when it is long. The
``Formatter`` here never does: it wraps between words only, fills each
paragraph of a description, and keeps its indented lines (examples, the exit
statuses) as they are written.
"""

from __future__ import annotations

import argparse
import textwrap

#: The machine the times in the help were measured on.
HERE = "here (2 vCPUs)"


class Formatter(argparse.HelpFormatter):
    """argparse's help, wrapped between words; a description's indented lines kept."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(" ".join(text.split()), width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out: list[str] = []
        for paragraph in text.strip("\n").split("\n\n"):
            if out:
                out.append("")
            prose: list[str] = []
            for line in [*paragraph.splitlines(), ""]:
                if line.strip() and not line.startswith(" "):
                    prose.append(line)
                    continue
                if prose:  # a run of unindented lines ends: filled as one
                    out += [indent + part for part in wrap(" ".join(prose), width - len(indent))]
                    prose = []
                if line.strip():
                    out.append(indent + line)
        return "\n".join(out)


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width``, broken between words only (a word
    longer than the line stays whole on a line of its own)."""
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)


def describe(what: str, takes: str, *examples: str) -> str:
    """A command's description: ``what`` it does, how long it ``takes`` ("Takes
    ..."), and its examples (each an indented line under "example:")."""
    heading = "example:" if len(examples) == 1 else "examples:"
    shown = "\n".join(f"  {example}" for example in examples)
    return f"{what}\n\nTakes {takes}.\n\n{heading}\n{shown}"
