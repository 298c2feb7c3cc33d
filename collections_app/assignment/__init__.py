"""Who collects from whom: rules by country, region, segment and exposure
band in priority order, a manual override per customer that the rules never
overwrite, and the service that (re)assigns every customer at once. Models
live in ``collections_app.assignment.models`` and are registered through
``collections_app.models``."""
