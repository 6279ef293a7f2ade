"""One SQL file per validation rule (package only so that the files install with etl)."""
