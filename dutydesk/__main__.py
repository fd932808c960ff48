"""``python -m dutydesk`` is the ``dutydesk`` command."""

from dutydesk.launch import main

main()
