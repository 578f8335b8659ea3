"""spec: the mlc/v1 language: models, profiles, references, semantics (SPEC 5-7)."""
