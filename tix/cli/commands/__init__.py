"""One module per noun. Modules import only typer and tix.cli.output at module level;
the core (SQLAlchemy, ~400 ms) is imported inside the commands that use it."""
