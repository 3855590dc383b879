"""Review: the team's queue over what marsad flagged, users and roles, the audit log.

The service functions here are what both shells call -- the CLI
(``marsad users``, ``marsad queue``, ``marsad audit``) and the web app
(``marsad serve``, :mod:`marsad.web`); neither holds SQL of its own.
"""
