"""The registry: who does what where in the integrated care system, and when (effective-dated)."""
