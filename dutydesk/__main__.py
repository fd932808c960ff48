"""``python -m dutydesk`` is the ``dutydesk`` command."""

from dutydesk.cli import main

main()
