"""The `sieve` command: run everything on one machine, manage API keys."""
