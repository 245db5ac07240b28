"""The domain core: pure-Python rules and formats of the register, used by every other part."""
