"""Pydantic models at the core's boundaries (CLI, HTTP, console)."""
