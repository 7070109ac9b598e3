"""The Typer application: one small module per command group; parse, call the services, render."""
