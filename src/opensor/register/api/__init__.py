"""The register's write API: token-authenticated JSON under ``/api/v1/register/``."""
