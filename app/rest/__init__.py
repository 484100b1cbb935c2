"""The Scrip-compatible REST face under /v1."""
