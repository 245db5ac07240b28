"""``python -m opensor.cli`` runs the ``sor`` command."""

from opensor.cli.main import main

main()
