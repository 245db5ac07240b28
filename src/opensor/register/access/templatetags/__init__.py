"""Template tags of the access pages."""
