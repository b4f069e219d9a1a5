"""The planner: queueing theory, demand, a compiled simulation of the system's beds, scenarios and reports."""
