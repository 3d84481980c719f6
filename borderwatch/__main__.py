"""``python -m borderwatch`` runs the command line."""

from borderwatch.cli import main

main()
