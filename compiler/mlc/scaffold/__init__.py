"""scaffold: `mlc init` (the place jinja2 is used); `templates.py` renders and writes a
project from a template."""

from .templates import (
    Template,
    TemplateError,
    available,
    check_name,
    occupied,
    project_name,
    render,
    write,
)

__all__ = ["Template", "TemplateError", "available", "check_name", "occupied", "project_name",
           "render", "write"]
