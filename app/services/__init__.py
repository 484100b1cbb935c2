"""The service layer: every business rule lives here once, beneath both the GraphQL and REST faces."""
