"""The register: the versioned, audited write side of OpenSOR (Django)."""
