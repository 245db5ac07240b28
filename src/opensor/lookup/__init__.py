"""The lookup service: the lean ASGI read side over the current publication."""
