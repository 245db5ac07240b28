"""Code lists kept in the register: added codes and the SHAK classification."""
