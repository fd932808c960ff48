"""The console in a browser: ``dutydesk serve`` (issue 15).

:mod:`.address` decides whether a bind address stays on this machine (no Textual, no
web server: the CLI checks it before anything starts); :mod:`.server` is the web server
(textual-serve over aiohttp, our own page); :mod:`.session` is the process each browser
connection runs: the same console as in a terminal, always on its sign-in screen.
"""
