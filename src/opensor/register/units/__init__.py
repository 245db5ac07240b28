"""Units and location numbers with their bitemporal history."""
