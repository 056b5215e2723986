"""An argparse parser whose errors are one line with a hint, and exit code 2."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from assay.errors import did_you_mean


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a mistake prints one line (with a did-you-mean for unknown flags), not the usage."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments:"):
            flags = [a for a in message.split(":", 1)[1].split() if a.startswith("--")]
            known = _all_option_strings(self)
            if flags:
                message += did_you_mean(flags[0].split("=")[0], known)
        sys.stderr.write(f"{self.prog}: error: {message}; see `{self.prog} --help`\n")
        sys.exit(2)


def _all_option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every flag of the parser and its sub-commands (unknown sub-command flags surface at the top)."""
    found: list[str] = []
    for action in parser._actions:
        found.extend(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.extend(_all_option_strings(child))
    return found
