"""The protected channel's register side: access requests, API clients and signing keys."""
