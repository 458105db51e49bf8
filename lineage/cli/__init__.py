"""The command line (click). Nothing in the package imports it."""
