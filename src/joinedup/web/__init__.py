"""The web edge: app factory, router table, base templates and static assets."""
