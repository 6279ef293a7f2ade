"""Exports: spreadsheets in template layout and the output formats of `etl sql`."""
