"""`python -m joinedup` runs the CLI."""

from joinedup.cli import main

main()
