"""Remote monitoring: readings, NEWS2, pathway rules, alerts and escalation."""
