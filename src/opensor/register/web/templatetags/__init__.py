"""Template tags of the maintainers' UI."""
