"""The ``borderwatch`` command line.

Each module in this package defines one command or command group on ``main``; they are all
imported here, so a new command is a new module. Command modules import heavy libraries inside
their functions so that ``--help`` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil

from borderwatch.cli.app import main

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "app":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["main"]
