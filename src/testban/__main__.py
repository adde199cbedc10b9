"""``python -m testban`` runs the command line."""

from testban.cli import main

main()
