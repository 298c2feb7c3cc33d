"""Collection strategies and the collector's tasks: per risk class, steps
that create a call or an escalation once a customer's oldest item is that
many days overdue; the tasks appear in the worklist, where a collector
marks them done, snoozes them to a date or hands them to someone else.
Models live in ``collections_app.strategies.models`` and are registered
through ``collections_app.models``."""
