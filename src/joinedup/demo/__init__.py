"""The LLR demo: reference data, synthetic patients and activity on an embedded database."""
