"""The service layer: each business rule lives here once, beneath the GraphQL and REST faces."""
