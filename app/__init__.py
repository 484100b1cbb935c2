"""Self-hostable loyalty backend: participants over GraphQL and a Scrip-compatible REST API."""
