"""`python -m mlc`."""

from .cli import main

main()
