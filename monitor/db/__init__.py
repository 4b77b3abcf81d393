"""Storage: models, engine, migrations and the query functions that hold all SQL."""
