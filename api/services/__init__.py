"""The service layer: the family store, background jobs and what the routes and the CLI call.

No HTTP here (no FastAPI, no Starlette, no status codes): refusals are the domain errors of
``api.services.errors``, which ``api/errors.py`` maps to statuses.
"""
