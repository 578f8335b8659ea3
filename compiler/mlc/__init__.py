"""mlc: one typed mlc.yaml in, production pipelines out."""

__version__ = "0.1.0"
