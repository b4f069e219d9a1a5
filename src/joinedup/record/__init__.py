"""The shared care record: patients, episodes of care, encounters, observations and NHS numbers."""
