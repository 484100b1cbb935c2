"""The GraphQL face: a Strawberry schema served at /graphql."""
