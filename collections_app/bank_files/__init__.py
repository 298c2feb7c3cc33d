"""Bank statements and remittance advices: reading (and, for generated test
data, writing) the formats banks and payers send. Pure functions over bytes;
see ``types`` for what they return."""
