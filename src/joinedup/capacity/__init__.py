"""Live capacity: today's bed state of every pool in the system and its OPEL-style pressure level."""
