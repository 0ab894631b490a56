"""The HTTP routes, one module per area; each route is thin: parse, call the service, shape the answer."""
