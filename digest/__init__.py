"""digest: a static-site digest generator."""

__version__ = "0.1.0"
