"""Shared test constants (importable because pytest puts tests/ on the path)."""

# The key the shared emulator fixture requires; deliberately key-shaped, so that any
# leak would also be caught by the redaction tests.
EMULATOR_KEY = "sk-testsuite0123456789abcdef"
