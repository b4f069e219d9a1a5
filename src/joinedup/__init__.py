"""joinedup: one shared picture of an NHS integrated care system."""

__version__ = "0.1.0"
