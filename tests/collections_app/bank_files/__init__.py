"""Bank-file and remittance parsers: real samples, malformed inputs, writers."""
