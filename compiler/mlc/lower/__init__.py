"""lower: Plan -> target documents (plain dicts), one subpackage per target, loaded by name."""
