"""The publisher: immutable, numbered publications built from the register."""
