"""Users, their scoped roles, API tokens and login lockout."""
