"""``python -m dutydesk`` is the ``dutydesk`` command."""

from dutydesk.cli.launch import main

main()
