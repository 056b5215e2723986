"""An argparse parser whose errors are one line with a hint, and exit code 2."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from assay.errors import did_you_mean

#: argparse's words for a value given to a switch as ``--flag=value``.
_EXPLICIT_VALUE = re.compile(r"^argument (?P<flags>\S+): ignored explicit argument (?P<value>'.*')$")


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a mistake prints one line (with a did-you-mean for unknown flags), not the usage."""

    _argv: list[str] | None = None

    def parse_args(self, *args: Any, **kwargs: Any) -> Any:
        given = args[0] if args else kwargs.get("args")
        self._argv = list(sys.argv[1:] if given is None else given)
        return super().parse_args(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        explicit = _EXPLICIT_VALUE.match(message)
        if explicit:
            flags = explicit["flags"].split("/")
            message = _switch_message(flags[0], explicit["value"], flags[1:])
        elif message.startswith("unrecognized arguments:"):
            extras = message.split(":", 1)[1].split()
            switch_value = _value_after_switch(self, self._argv or [], extras)
            flags = [a for a in extras if a.startswith("--")]
            if switch_value:
                message = switch_value
            elif flags:
                message += did_you_mean(flags[0].split("=")[0], _all_option_strings(self))
        sys.stderr.write(f"{self.prog}: error: {message}; see `{self.prog} --help`\n")
        sys.exit(2)


class VersionAction(argparse.Action):
    """``--version``: the installed package's version, looked up only when asked (``--help`` stays instant)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        kwargs.setdefault("help", "print the version and exit")
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("assay")
        except PackageNotFoundError:  # a source tree that was never installed
            from assay import __version__ as number
        print(f"assay {number}")
        parser.exit(0)


def _value_after_switch(parser: argparse.ArgumentParser, argv: list[str], extras: list[str]) -> str | None:
    """The explanation when an unrecognized word is a value given to a switch (``--stream True``), else None."""
    switches = _switches(parser, argv)
    for position, word in enumerate(argv[1:], start=1):
        flag = argv[position - 1]
        if word in extras and not word.startswith("-") and flag in switches:
            return _switch_message(flag, repr(word), switches[flag])
    return None


def _switch_message(flag: str, value: str, negations: Sequence[str]) -> str:
    off = f", or {negations[0]} to turn it off" if negations else ", or leave it out"
    return f"{flag} is a switch and takes no value (got {value}): write {flag} alone to turn it on{off}"


def _switches(parser: argparse.ArgumentParser, argv: list[str]) -> dict[str, list[str]]:
    """Every flag that takes no value, with its ``--no-`` forms, in the parser and the sub-command ``argv`` names."""
    found: dict[str, list[str]] = {}
    for action in parser._actions:
        if action.nargs == 0:
            negations = [s for s in action.option_strings if s.startswith("--no-")]
            for option in action.option_strings:
                found.setdefault(option, [] if option in negations else negations)
        if isinstance(action, argparse._SubParsersAction):
            named = [action.choices[word] for word in argv if word in action.choices][:1]
            for child in named or action.choices.values():
                for option, negations in _switches(child, argv).items():
                    found.setdefault(option, negations)
    return found


def _all_option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every flag of the parser and its sub-commands (unknown sub-command flags surface at the top)."""
    found: list[str] = []
    for action in parser._actions:
        found.extend(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.extend(_all_option_strings(child))
    return found
